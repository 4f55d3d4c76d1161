"""A mapping in our own format (docs/mapping.md), checked when read, applied to
each record of a partner's file: the standard's cells, then the rows grouped."""

import copy
import re
from collections import Counter
from dataclasses import dataclass, field

import regex

from ..standard import value_key
from . import transforms as t
from .schema import DAYS, SOURCES, VALUE_COLUMNS, validate
from .transforms import MappingError

# Columns a JSON number may have stripped of their leading zero (01000 → 1000).
FIVE_DIGITS = ("code_postal", "code_insee")
FROM_ADDRESS = ("code_postal", "commune")
OSM_TIMES = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\s*\d{2}:\d{2}-\d{2}:\d{2})*$")
# The records of a JSON file, when the mapping does not say where they are.
RECORD_KEYS = ("features", "data", "results")


def _checked_expression(column: str, expression: dict, where: str) -> None:
    sources = [s for s in SOURCES if s in expression]
    if len(sources) != 1:
        found = ", ".join(sources) or "aucune"
        raise MappingError(
            f"{where} : une source parmi {', '.join(SOURCES)} est attendue "
            f"(lu : {found})."
        )
    if "depuis_adresse" in expression and column not in FROM_ADDRESS:
        raise MappingError(
            f"{where} : « depuis_adresse » vaut pour code_postal et commune."
        )
    if "partie" in expression and "decouper" not in expression:
        raise MappingError(f"{where} : « partie » sans « decouper ».")
    if "separateur" in expression and "joindre" not in expression:
        raise MappingError(f"{where} : « separateur » sans « joindre ».")
    if "motif" in expression:
        pattern = compiled(expression["motif"], where)
        if pattern.groups > 1:
            raise MappingError(f"{where} : « motif » a plus d’un groupe ( ).")
    if "sinon" in expression:
        _checked_expression(column, expression["sinon"], f"{where}.sinon")


def compiled(motif: str, where: str = "« motif »"):
    """A `motif`, compiled by the `regex` module (whose searches can be stopped)."""
    try:
        return regex.compile(motif)
    except (regex.error, OverflowError, RecursionError, ValueError) as error:
        raise MappingError(f"{where} : « motif » invalide ({error}).") from error


def table_key(key, where: str) -> str:
    """A table's key as written: YAML reads `1: Oui` as a number, kept as "1"; a
    date, a truth value or nothing is ambiguous."""
    if isinstance(key, str):
        return key
    if isinstance(key, int | float) and not isinstance(key, bool):
        return str(key)
    raise MappingError(f"{where}.table : écrivez la clé « {key} » entre guillemets.")


def _table(table: dict, where: str) -> dict[str, list[str]]:
    """A value table with its keys compared `plain`, each giving a list of values."""
    compared: dict[str, list[str]] = {}
    for key, values in table.items():
        key = table_key(key, where)
        values = [values] if isinstance(values, str) else values
        if not all(isinstance(v, str) and v for v in values):
            raise MappingError(f"{where}.table.{key} : des valeurs sont attendues.")
        if t.plain(key) in compared and compared[t.plain(key)] != values:
            raise MappingError(f"{where}.table : « {key} » deux fois.")
        compared[t.plain(key)] = values
    return compared


def _checked_rules(column: str, rules: list[dict]) -> None:
    for n, rule in enumerate(rules, start=1):
        where = f"« champs.{column}[{n}] »"
        if ("valeurs" in rule) == ("table" in rule):
            raise MappingError(f"{where} : « valeurs » ou « table » est attendu.")
        if "table" in rule:
            if "colonnes" not in rule or {"contient", "sauf"} & set(rule):
                raise MappingError(
                    f"{where} : une table lit des « colonnes », sans contient ni sauf."
                )
            rule["table"] = _table(rule["table"], where)


@dataclass
class Mapping:
    """A checked mapping (`document` in our format) and what it was read from."""

    document: dict  # as written
    fields: dict  # its `champs`, with value tables ready to be looked up
    origin: str = "correspondance"  # or "convertisseur": a converter's config
    patterns: dict = field(default_factory=dict, repr=False)

    @classmethod
    def checked(cls, document, origin: str = "correspondance") -> "Mapping":
        validate(document)
        fields = copy.deepcopy(document["champs"])
        for column, rule in fields.items():
            if column in VALUE_COLUMNS:
                _checked_rules(column, rule)
            else:
                _checked_expression(column, rule, f"« champs.{column} »")
                _tables_in(rule, f"« champs.{column} »")
        return cls(document, fields, origin)

    @property
    def csv(self) -> dict:
        return self.document.get("csv", {})

    def targets(self) -> dict[str, set[str]]:
        """Every standard value the mapping can give, per column."""
        found: dict[str, set[str]] = {}
        for column in VALUE_COLUMNS:
            for rule in self.fields.get(column, []):
                values = rule.get("valeurs") or [
                    v for vs in rule["table"].values() for v in vs
                ]
                found.setdefault(column, set()).update(values)
        return found

    def unknown_targets(self, known: dict[str, set[str]]) -> list[str]:
        """The values the mapping gives that the vocabularies do not know (`known`:
        column → known values compared by `value_key`), as "column: value"."""
        return [
            f"{column} : {value}"
            for column, values in self.targets().items()
            if column in known
            for value in sorted(values)
            if value_key(value) not in known[column]
        ]

    def records(self, data) -> list:
        """The records of a JSON document."""
        return records(data, self.document.get("enregistrements"))

    def sources(self) -> list[set[str]]:
        """The partner's columns the mapping reads, by field or rule: each set is
        the alternatives one of which suffices (a column, its fallbacks, the
        columns joined)."""
        groups: list[set[str]] = []
        for column, rule in self.fields.items():
            if column in VALUE_COLUMNS:
                groups += [set(r["colonnes"]) for r in rule if r.get("colonnes")]
                continue
            names: set[str] = set()
            expression = rule
            while expression:
                for key in ("colonne", "joindre"):
                    found = expression.get(key, [])
                    names.update([found] if isinstance(found, str) else found)
                names.update(expression.get("jours", {}).values())
                expression = expression.get("sinon")
            if names - {""}:
                groups.append(names - {""})
        return groups

    def lost(self, before: list[str], now: list[str]) -> list[str]:
        """The columns it reads that were in the partner's file `before` and are no
        longer, with none of their alternatives (positions in a JSON list, such as
        `categories.2`, may come and go)."""
        present, was = set(now), set(before)
        gone = set()
        for group in self.sources():
            if not group & present and group & was:
                gone |= {
                    name
                    for name in group & was
                    if not any(part.isdigit() for part in name.split("."))
                }
        return sorted(gone)

    def scalar(self, expression: dict, flat: dict[str, str]) -> str:
        if "colonne" in expression:
            value = t.first(flat, expression["colonne"])
        elif "joindre" in expression:
            separator = expression.get("separateur", " ")
            value = t.join(flat, expression["joindre"], separator)
        elif "valeur" in expression:
            value = str(expression["valeur"])
        elif "jours" in expression:
            value = by_day(expression["jours"], flat)
        else:  # depuis_adresse: filled from the address in `row`
            value = ""
        if value and "decouper" in expression:
            value = t.part(value, expression["decouper"], expression.get("partie", 0))
        if value and "motif" in expression:
            pattern = self.patterns.get(expression["motif"])
            if pattern is None:
                pattern = self.patterns[expression["motif"]] = compiled(
                    expression["motif"]
                )
            value = t.capture(value, pattern)
        if value and "table" in expression:
            value = expression["table"].get(t.plain(value), [value])[0]
        if value and "date" in expression:
            value = t.french_date(value)
        if not value and "sinon" in expression:
            return self.scalar(expression["sinon"], flat)
        return value

    def values(self, column: str, flat: dict[str, str], unmapped: Counter) -> str:
        found: list[str] = []
        for number, rule in enumerate(self.fields[column], start=1):
            texts = [t.first(flat, name) for name in rule.get("colonnes", [])]
            if "table" in rule:
                values = []
                for text in texts:
                    got, unknown = t.looked_up(text, rule["table"])
                    values += got
                    unmapped.update((column, number, u) for u in unknown)
            elif "colonnes" not in rule or t.contains(
                texts, rule.get("contient", []), rule.get("sauf", [])
            ):
                values = rule["valeurs"]
            else:
                values = []
            found.extend(v for v in values if v not in found)
        return "|".join(found)

    def row(self, flat: dict[str, str], unmapped: Counter | None = None) -> dict:
        """The standard's cells for one record (flattened); the cells no value
        table knew are counted in `unmapped`, as (column, rule number, cell)."""
        unmapped = Counter() if unmapped is None else unmapped
        cells: dict[str, str] = {}
        for column, rule in self.fields.items():
            if column in VALUE_COLUMNS:
                cells[column] = self.values(column, flat, unmapped)
            else:
                cells[column] = self.scalar(rule, flat)
        asked = [c for c in FROM_ADDRESS if from_address(self.fields.get(c, {}))]
        found = t.postcode_in(cells.get("adresse", "")) if asked else None
        if found:
            postcode, town, start = found
            for column, value in zip(FROM_ADDRESS, (postcode, town), strict=True):
                if column in asked and not cells[column]:
                    cells[column] = value
            cells["adresse"] = cells["adresse"][:start].rstrip(" ,")
        if town := t.town_and_postcode(cells.get("commune", "")):
            cells["commune"] = town[0]
            cells["code_postal"] = cells.get("code_postal") or town[1]
        for column in FIVE_DIGITS:
            if re.fullmatch(r"\d{4}", cells.get(column, "")):
                cells[column] = cells[column].zfill(5)
        srid = self.document.get("projection", 4326)
        if srid != 4326 and cells.get("longitude") and cells.get("latitude"):
            point = t.to_wgs84(cells["longitude"], cells["latitude"], srid)
            if point:
                cells["longitude"], cells["latitude"] = point
        for column in ("latitude", "longitude"):
            if column in cells:
                cells[column] = t.decimal(cells[column])
        if not cells.get("id"):
            cells["id"] = t.derived_id(cells)
        return cells

    def grouped(
        self, rows: list[tuple[int, dict]]
    ) -> tuple[list[tuple[int, dict]], dict[int, list[int]]]:
        """The rows that agree on the `regrouper` columns as one place: the first
        non-empty cell of each column, the values of all; and, per kept row, the
        lines grouped into it. Without `regrouper`, rows whose id was derived from
        the same name, address and postcode (a survey answered twice) are one."""
        keys = self.document.get("regrouper")
        kept: dict[tuple, tuple[int, dict]] = {}
        merged: dict[int, list[int]] = {}
        out: list[tuple[int, dict]] = []
        for line, cells in rows:
            if keys:
                key = tuple(t.plain(cells.get(c, "")) for c in keys)
            elif cells.get("id") == t.derived_id(cells):
                key = (cells["id"],)
            else:
                key = ("",)
            if not any(key):
                out.append((line, cells))
                continue
            if key not in kept:
                kept[key] = (line, cells)
                out.append((line, cells))
                continue
            first_line, first = kept[key]
            merged.setdefault(first_line, []).append(line)
            for column, value in cells.items():
                if column in VALUE_COLUMNS and value:
                    both = first.get(column, "").split("|") + value.split("|")
                    first[column] = "|".join(dict.fromkeys(v for v in both if v))
                elif not first.get(column):
                    first[column] = value
        return out, merged


def from_address(expression: dict) -> bool:
    """Whether an expression (or one of its `sinon`) takes its value from the
    address."""
    while expression:
        if "depuis_adresse" in expression:
            return True
        expression = expression.get("sinon")
    return False


def records(data, path: str | None = None) -> list:
    """The records of a JSON document: under `path` (dotted), else the document
    itself or the list under `features`, `data` or `results`."""
    if path:
        for key in path.split("."):
            data = data.get(key) if isinstance(data, dict) else None
        if not isinstance(data, list):
            raise MappingError(f"Aucune liste d’enregistrements sous « {path} ».")
        return data
    if isinstance(data, dict):
        data = next((data[k] for k in RECORD_KEYS if data.get(k)), None)
    if not isinstance(data, list):
        raise MappingError(
            "JSON : une liste d’objets, ou sous « data », « results » ou "
            "« features », est attendue (ou dites où avec « enregistrements »)."
        )
    return data


def _tables_in(expression: dict, where: str) -> None:
    if "table" in expression:
        expression["table"] = {
            t.plain(table_key(k, where)): [v] for k, v in expression["table"].items()
        }
    if "sinon" in expression:
        _tables_in(expression["sinon"], f"{where}.sinon")


def by_day(days: dict[str, str], flat: dict[str, str]) -> str:
    """Hours in a column per day: OSM when every day reads as times ("09:00-12:00,
    14:00-17:00"), else "Mo : …" as written (the importer then reads or flags it)."""
    found = [(day, t.first(flat, days[day])) for day in DAYS if day in days]
    found = [(day, text) for day, text in found if text]
    if found and all(OSM_TIMES.match(text) for _day, text in found):
        return "; ".join(f"{day} {text.replace(' ', '')}" for day, text in found)
    return " ; ".join(f"{day} : {text}" for day, text in found)
