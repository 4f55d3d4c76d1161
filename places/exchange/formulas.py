"""Spreadsheet formulas in CSV exports, neutralised as OWASP recommends ("CSV
injection"): a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a
tab or a carriage return first) gets a leading apostrophe. Reversible, so that export
then import gives back the same values: a cell that is apostrophes then one of those
characters gets one apostrophe more on export and one less on import; any other cell
is left as it is both ways.

Numbers are left alone: `+33299000000` and `-1.68` are read as numbers by
spreadsheets, never as formulas, and the standard's patterns want them as they are.
"""

import re

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _formula_like(value: str) -> bool:
    """Apostrophes (maybe none) then a formula's first character, not a number."""
    bare = value.lstrip("'")
    return bare.startswith(TRIGGERS) and not NUMBER.fullmatch(bare)


def neutralise(value: str) -> str:
    return "'" + value if _formula_like(value) else value


def restore(value: str) -> str:
    """The value as it was before `neutralise` (a cell that a partner neutralised
    the same way reads back as its formula's text, never run)."""
    if value.startswith("'") and _formula_like(value):
        return value[1:]
    return value
