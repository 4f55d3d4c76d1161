"""Spreadsheet formulas in CSV exports, neutralised as OWASP recommends ("CSV
injection"): a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a
tab or a carriage return first) gets a leading apostrophe. Reversible, so that export
then import gives back the same values: a cell that starts with an apostrophe is
prefixed too, and `restore` removes exactly one.

Numbers are left alone: `+33299000000` and `-1.68` are read as numbers by
spreadsheets, never as formulas, and the standard's patterns want them as they are.
"""

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")
NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")


def neutralise(value: str) -> str:
    if value.startswith(TRIGGERS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The value as it was before `neutralise` (a cell that a partner neutralised
    the same way reads back as its formula text, never run)."""
    if value.startswith("'") and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value
