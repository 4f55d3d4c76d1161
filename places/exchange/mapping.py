"""Partners' own layouts, read through a mapping (issue 16, first part): the national
converter's `*.config.json`, read as it is (../shared/data/partners/README.md), turns
each record of a partner's file into a row of the standard, which the importer then
reads as it reads a standard file (same report, same per-row reasons, same scope).

What a config says, per column of the standard:
- `{"colonne": "Nom"}`, a dotted path into nested JSON (`properties.nom`), or a list
  of them (the first non-empty); an empty name for `code_postal` / `commune`: taken
  out of the address ("12 rue X 51200 Épernay");
- `{"joindre": {"colonnes": [...], "séparateur": " ", "ou": <rule>}}`;
- `{"dissocier": {"colonne": "geo", "séparateur": ",", "partie": 0}}`;
- `{"valeur": "2023-01-15"}`, a constant;
- for a column of values (services, typologie…): a list of
  `{"colonnes": [...], "termes": [...], "sauf": [...], "cible": "<value>"}` — the
  value is added when a column contains one of the terms (case-insensitive) and
  none of the `sauf` ones; without terms, any non-empty value; without columns,
  always;
- `horaires`: `{"osm": col}` (opening_hours, or free text), `{"semaine": col}` (free
  text), `{"jours": [{"colonne": "h_lundi", "osm": "Mo"}, …]}`, the first that
  gives something.

Unlike the converter, a key or rule it does not know is refused, with its name; a
record with no id gets a stable one from its name, address and postcode. Not yet
(issue 16): our own mapping format, free-text hours read into OSM (kept verbatim and
flagged by the importer), Lambert-93 coordinates, grouping rows, harvesting.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..models import normalize_name
from .reader import cell_text
from .standard import COLUMNS, VOCABULARY_COLUMNS

SCALAR_RULES = {"colonne", "joindre", "dissocier", "valeur"}
VALUE_RULE_KEYS = {"colonnes", "termes", "sauf", "cible"}
VALUE_COLUMNS = set(VOCABULARY_COLUMNS) | {"itinerance", "autres_formations_labels"}
# Keys of the converter that are no column of the standard: read, not used (the
# standard has nowhere to put the weeks an itinerant bus comes).
CONVERTER_ONLY = {"semaine_ouverture"}
HOURS = "horaires"
HOURS_RULES = {"osm", "semaine", "jours"}
# Columns a JSON number may have stripped of their leading zero (01000 → 1000).
FIVE_DIGITS = {"code_postal", "code_insee"}
# In an address: a postcode, then the town ("…, 51200, Épernay, Marne, FRA").
POSTCODE_AND_TOWN = re.compile(r"\b(\d{5})\b[\s,]+([^\d,;]+)")
# A number after these is a post box or a sorting code, not the postcode.
NOT_A_POSTCODE = re.compile(r"\b(BP|CS|TSA|CEDEX)\s*$", re.IGNORECASE)
# What follows a town's name in an address: "CEDEX 9", " - Tél …".
AFTER_TOWN = re.compile(r"\s+(CEDEX\b.*|-\s.*)$", re.IGNORECASE)
# In a town's cell: the town and a postcode ("Châtain 23700").
TOWN_AND_POSTCODE = re.compile(r"^(\D*?)[\s,]*\b(\d{5})\b\s*$")
OSM_TIMES = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\s*\d{2}:\d{2}-\d{2}:\d{2})*$")


class MappingError(ValueError):
    """A mapping that cannot be used; the message names what is wrong."""


# How deep a record's objects and lists may nest.
DEEPEST = 20


def flatten(value, prefix: str = "") -> dict[str, str]:
    """A JSON record as dotted keys (`properties.nom`, `categories.0`); a list of
    texts is also under its own key, joined with `|`."""
    if not isinstance(value, dict | list):
        return {prefix: cell_text(value)}
    if prefix.count(".") >= DEEPEST:
        raise MappingError(f"« {prefix[:60]}… » : plus de {DEEPEST} niveaux imbriqués")
    items = value.items() if isinstance(value, dict) else enumerate(value)
    flat: dict[str, str] = {}
    for key, item in items:
        inner = flatten(item, f"{prefix}.{key}" if prefix else str(key))
        twice = flat.keys() & inner.keys()
        if twice:  # {"a.b": 1, "a": {"b": 2}}: which one the config means is unknown
            raise MappingError(f"« {sorted(twice)[0][:60]} » en double")
        flat.update(inner)
    if isinstance(value, list) and prefix:
        texts = [cell_text(item) for item in value if not isinstance(item, dict | list)]
        if len(texts) == len(value):  # a list of texts: also joined
            flat[prefix] = "|".join(t for t in texts if t)
    return flat


def _check_columns(value, where: str) -> None:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(name, str) for name in names):
        raise MappingError(f"{where} : « colonne » attend un nom ou une liste de noms.")


def _check_scalar(column: str, rule) -> None:
    where = f"« {column} »"
    if not isinstance(rule, dict) or len(rule) != 1 or set(rule) - SCALAR_RULES:
        found = (
            ", ".join(sorted(rule)) if isinstance(rule, dict) else type(rule).__name__
        )
        raise MappingError(
            f"{where} : une règle parmi {', '.join(sorted(SCALAR_RULES))} est "
            f"attendue (lu : {found})."
        )
    kind, body = next(iter(rule.items()))
    if kind == "colonne":
        _check_columns(body, where)
    elif kind == "valeur":
        if not isinstance(body, str | int | float) or isinstance(body, bool):
            raise MappingError(f"{where} : « valeur » attend un texte ou un nombre.")
    elif kind == "joindre":
        unknown = (
            set(body) - {"colonnes", "séparateur", "ou"}
            if isinstance(body, dict)
            else {"?"}
        )
        if unknown or not isinstance(body.get("colonnes"), list):
            raise MappingError(
                f"{where} : « joindre » mal formé "
                f"({', '.join(sorted(unknown)) or 'colonnes'})."
            )
        _check_columns(body["colonnes"], where)
        if not isinstance(body.get("séparateur", " "), str):
            raise MappingError(f"{where} : « séparateur » attend un texte.")
        if "ou" in body:
            _check_scalar(column, body["ou"])
    elif kind == "dissocier":
        keys = {"colonne", "séparateur", "partie"}
        if isinstance(body, dict) and set(body) - keys:
            unknown = ", ".join(sorted(set(body) - keys))
            raise MappingError(f"{where} : « dissocier », clés inconnues : {unknown}.")
        if isinstance(body, dict) and "colonne" in body:
            _check_columns(body["colonne"], where)
        if (
            not isinstance(body, dict)
            or set(body) != keys
            or not isinstance(body["séparateur"], str)
            or not body["séparateur"]
            or not isinstance(body["partie"], int)
            or isinstance(body["partie"], bool)
            or body["partie"] < 0
        ):
            raise MappingError(
                f"{where} : « dissocier » attend colonne, séparateur et partie."
            )


def _check_values(column: str, rules) -> None:
    if not isinstance(rules, list):
        raise MappingError(f"« {column} » : une liste de règles est attendue.")
    for n, rule in enumerate(rules, start=1):
        where = f"« {column} », règle {n}"
        if not isinstance(rule, dict):
            raise MappingError(f"{where} : un objet est attendu.")
        unknown = set(rule) - VALUE_RULE_KEYS
        if unknown:
            raise MappingError(
                f"{where} : clés inconnues : {', '.join(sorted(unknown))}."
            )
        if not isinstance(rule.get("cible"), str) or not rule["cible"].strip():
            raise MappingError(f"{where} : « cible » (la valeur du standard) manque.")
        for key in ("colonnes", "termes", "sauf"):
            if key in rule and not (
                isinstance(rule[key], list)
                and all(isinstance(v, str) for v in rule[key])
            ):
                raise MappingError(f"{where} : « {key} » attend une liste de textes.")


def _check_hours(rule) -> None:
    if isinstance(rule, dict) and set(rule) - HOURS_RULES:
        unknown = ", ".join(sorted(set(rule) - HOURS_RULES))
        raise MappingError(f"« {HOURS} » : clés inconnues : {unknown}.")
    if not isinstance(rule, dict) or not rule:
        raise MappingError(
            f"« {HOURS} » : une règle parmi {', '.join(sorted(HOURS_RULES))} "
            "est attendue."
        )
    for key in ("osm", "semaine"):
        if key in rule:
            _check_columns(rule[key], f"« {HOURS} » ({key})")
    days = rule.get("jours")
    if days is not None and not (
        isinstance(days, list)
        and all(
            isinstance(d, dict)
            and set(d) == {"colonne", "osm"}
            and all(isinstance(v, str) for v in d.values())
            for d in days
        )
    ):
        raise MappingError(f"« {HOURS} » : « jours » attend des {{colonne, osm}}.")


@dataclass
class ConverterMapping:
    """A converter config, checked when read."""

    rules: dict

    @classmethod
    def read(cls, path: str | Path) -> "ConverterMapping":
        try:
            rules = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError) as error:
            raise MappingError(f"Correspondance illisible : {error}") from error
        try:
            return cls.checked(rules)
        except RecursionError as error:  # "ou" within "ou" within…
            raise MappingError("Correspondance trop profondément imbriquée.") from error

    @classmethod
    def checked(cls, rules) -> "ConverterMapping":
        if not isinstance(rules, dict):
            raise MappingError("Une correspondance est un objet JSON.")
        unknown = set(rules) - set(COLUMNS) - CONVERTER_ONLY
        if unknown:
            raise MappingError(
                f"Colonnes inconnues du standard : {', '.join(sorted(unknown))}."
            )
        for column, rule in rules.items():
            if column in CONVERTER_ONLY:
                _check_scalar(column, rule)
            elif column in VALUE_COLUMNS:
                _check_values(column, rule)
            elif column == HOURS:
                _check_hours(rule)
            else:
                _check_scalar(column, rule)
        return cls(rules)

    def row(self, flat: dict[str, str]) -> dict[str, str]:
        """The standard's cells for one record (flattened)."""
        cells: dict[str, str] = {}
        for column, rule in self.rules.items():
            if column in CONVERTER_ONLY:
                continue
            if column in VALUE_COLUMNS:
                cells[column] = "|".join(values(rule, flat))
            elif column == HOURS:
                cells[column] = hours(rule, flat)
            else:
                cells[column] = scalar(rule, flat)
        from_address = [
            column
            for column in ("code_postal", "commune")
            if self.rules.get(column) == {"colonne": ""}
        ]
        found = postcode_in(cells.get("adresse", "")) if from_address else None
        if found:
            postcode, town, start = found
            for column, value in (("code_postal", postcode), ("commune", town)):
                if column in from_address:
                    cells[column] = value
            cells["adresse"] = cells["adresse"][:start].rstrip(" ,")
        town = TOWN_AND_POSTCODE.match(cells.get("commune", ""))
        if town and town.group(1).strip():
            cells["commune"] = town.group(1).strip()
            cells["code_postal"] = cells.get("code_postal") or town.group(2)
        for column in FIVE_DIGITS:
            if re.fullmatch(r"\d{4}", cells.get(column, "")):
                cells[column] = cells[column].zfill(5)
        for column in ("latitude", "longitude"):
            if column in cells:
                cells[column] = cells[column].replace(",", ".")
        if not cells.get("id"):
            cells["id"] = derived_id(cells)
        return cells


def postcode_in(address: str) -> tuple[str, str, int] | None:
    """The postcode and town at the end of an address ("12 rue X, 51200, Épernay,
    Marne, FRA"), and where they start: the last five-digit number followed by a
    name that is no post box ("BP 50012") nor sorting code; the town without its
    "CEDEX" or what follows a dash."""
    found = [
        match
        for match in POSTCODE_AND_TOWN.finditer(address)
        if not NOT_A_POSTCODE.search(address[: match.start()])
    ]
    if not found:
        return None
    match = found[-1]
    town = AFTER_TOWN.sub("", match.group(2).strip())
    return match.group(1), town, match.start()


def derived_id(cells: dict[str, str]) -> str:
    """A stable id for a record without one: from its name, address and postcode
    (as long as the partner does not change them)."""
    key = json.dumps(
        [normalize_name(cells.get(c, "")) for c in ("nom", "adresse", "code_postal")]
    )
    return "h-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def column(flat: dict[str, str], names) -> str:
    """The first non-empty of the named columns."""
    for name in names if isinstance(names, list) else [names]:
        value = flat.get(name, "").strip() if name else ""
        if value:
            return value
    return ""


def scalar(rule: dict, flat: dict[str, str]) -> str:
    kind, body = next(iter(rule.items()))
    if kind == "colonne":
        return column(flat, body)
    if kind == "valeur":
        return str(body)
    if kind == "dissocier":
        parts = column(flat, body["colonne"]).split(body["séparateur"])
        return parts[body["partie"]].strip() if len(parts) > body["partie"] else ""
    # joindre
    parts = [column(flat, name) for name in body["colonnes"]]
    joined = body.get("séparateur", " ").join(p for p in parts if p)
    return joined or (scalar(body["ou"], flat) if "ou" in body else "")


def values(rules: list[dict], flat: dict[str, str]) -> list[str]:
    """The standard values a record has, by the converter's rules, each once."""
    found: list[str] = []
    for rule in rules:
        texts = [column(flat, name).lower() for name in rule.get("colonnes", [])]
        if "colonnes" not in rule:
            hit = True
        elif "termes" not in rule:
            hit = any(texts)
        else:
            hit = any(t.lower() in text for t in rule["termes"] for text in texts)
        if hit and any(
            s.lower() in text for s in rule.get("sauf", []) for text in texts
        ):
            hit = False
        if hit and rule["cible"] not in found:
            found.append(rule["cible"])
    return found


def hours(rule: dict, flat: dict[str, str]) -> str:
    """Opening hours as the file has them: OSM when they read as OSM, else the text
    (the importer keeps it verbatim and flags it)."""
    found = column(flat, rule.get("osm", "")) or column(flat, rule.get("semaine", ""))
    if found or "jours" not in rule:
        return found
    days = [(day["osm"], column(flat, day["colonne"])) for day in rule["jours"]]
    days = [(osm, text) for osm, text in days if text]
    if days and all(OSM_TIMES.match(text) for _osm, text in days):
        return "; ".join(f"{osm} {text.replace(' ', '')}" for osm, text in days)
    return " ; ".join(f"{osm} : {text}" for osm, text in days)
