"""The transforms a mapping applies to a partner's record, each a pure function of
its inputs (tested one by one in tests/test_mapping_transforms.py)."""

import datetime
import hashlib
import json
import math
import re
import unicodedata

from ...models import normalize_name
from ..reader import cell_text


class MappingError(ValueError):
    """A mapping that cannot be used, or a record it cannot read; the message names
    what is wrong."""


# How deep a record's objects and lists may nest.
DEEPEST = 20
# In an address: a postcode, then the town ("…, 51200, Épernay, Marne, FRA").
POSTCODE_AND_TOWN = re.compile(r"\b(\d{5})\b[\s,]+([^\d,;]+)")
# A number after these is a post box or a sorting code, not the postcode.
NOT_A_POSTCODE = re.compile(r"\b(BP|CS|TSA|CEDEX)\s*$", re.IGNORECASE)
# What follows a town's name in an address: "CEDEX 9", " - Tél …".
AFTER_TOWN = re.compile(r"\s+(CEDEX\b.*|-\s.*)$", re.IGNORECASE)
# In a town's cell: the town and a postcode ("Châtain 23700").
TOWN_AND_POSTCODE = re.compile(r"^(\D*?)[\s,]*\b(\d{5})\b\s*$")
# Several values in one cell: "a, b ; c / d | e" (a "/" inside a word is kept:
# "Médiathèque/bibliothèque" is tried whole first).
MANY = re.compile(r"\s*[,;|]\s*|\s+/\s+|/")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("janvier", "janv"), ("fevrier", "fevr", "fev"), ("mars",),
            ("avril", "avr"), ("mai",), ("juin",), ("juillet", "juil"), ("aout",),
            ("septembre", "sept"), ("octobre", "oct"), ("novembre", "nov"),
            ("decembre", "dec"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
WORDED_DATE = re.compile(r"^(?:[a-z]+\s+)?(\d{1,2})(?:er)?\s+([a-z]+)\.?\s+(\d{4})$")


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
        if twice:  # {"a.b": 1, "a": {"b": 2}}: which one the mapping means is unknown
            raise MappingError(f"« {sorted(twice)[0][:60]} » en double")
        flat.update(inner)
    if isinstance(value, list) and prefix:
        texts = [cell_text(item) for item in value if not isinstance(item, dict | list)]
        if len(texts) == len(value):  # a list of texts: also joined
            flat[prefix] = "|".join(t for t in texts if t)
    return flat


def first(flat: dict[str, str], names: str | list[str]) -> str:
    """The first non-empty of the named columns."""
    for name in names if isinstance(names, list) else [names]:
        value = flat.get(name, "").strip() if name else ""
        if value:
            return value
    return ""


def join(flat: dict[str, str], names: list[str], separator: str = " ") -> str:
    """The non-empty named columns, joined."""
    return separator.join(p for p in (first(flat, name) for name in names) if p)


def part(text: str, separator: str, number: int) -> str:
    """Part `number` (from 0) of `text` cut at `separator`, or ""."""
    parts = text.split(separator)
    return parts[number].strip() if len(parts) > number else ""


# How long one `motif` may search one cell: a pattern that backtracks without end
# ("(a|aa)+$") is stopped, the row refused with the reason.
PATTERN_SECONDS = 0.05


def capture(text: str, pattern) -> str:
    """What the pattern's first group (or whole match) finds in `text`, or "";
    `pattern` is compiled by the `regex` module, which can stop a search."""
    try:
        found = pattern.search(text, timeout=PATTERN_SECONDS)
    except TimeoutError as error:
        raise MappingError(f"« motif » trop lent sur « {text[:40]} »") from error
    if not found:
        return ""
    return ((found.group(1) if pattern.groups else found.group(0)) or "").strip()


def plain(text: str) -> str:
    """Lower case, without accents nor repeated spaces: how values are compared."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").casefold())
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).split())


def looked_up(text: str, table: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """The values a table gives for a cell (keys compared `plain`), the whole cell
    first, else each of its parts; and the parts the table does not know."""
    if not text.strip():
        return [], []
    whole = table.get(plain(text))
    if whole is not None:
        return list(whole), []
    found, unknown = [], []
    for item in filter(None, MANY.split(text.strip())):
        values = table.get(plain(item))
        if values is None:
            unknown.append(item)
        found.extend(v for v in values or [] if v not in found)
    return found, unknown


def contains(texts: list[str], terms: list[str], unless: list[str]) -> bool:
    """The converter's rule: one text contains one of `terms` (any non-empty text
    when there are no terms) and none of `unless`; case-insensitive."""
    texts = [t.lower() for t in texts]
    if terms:
        hit = any(term.lower() in text for term in terms for text in texts)
    else:
        hit = any(texts)
    return hit and not any(u.lower() in text for u in unless for text in texts)


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


def town_and_postcode(text: str) -> tuple[str, str] | None:
    """A town's cell that also holds the postcode ("Châtain 23700")."""
    found = TOWN_AND_POSTCODE.match(text)
    if found and found.group(1).strip():
        return found.group(1).strip(), found.group(2)
    return None


def derived_id(cells: dict[str, str]) -> str:
    """A stable id for a record without one: from its name, address and postcode
    (as long as the partner does not change them)."""
    key = json.dumps(
        [normalize_name(cells.get(c, "")) for c in ("nom", "adresse", "code_postal")]
    )
    return "h-" + hashlib.sha1(key.encode()).hexdigest()[:16]


def french_date(text: str) -> str:
    """A date as the standard writes it (2023-01-15) from "15/01/2023", "15-01-23",
    "15 janvier 2023", "lundi 1er janvier 2023" or an ISO date and time; anything
    else as it is (the importer then says it is no date)."""
    value = plain(text)
    if found := ISO_DATE.match(value):
        year, month, day = map(int, found.groups())
    elif found := NUMERIC_DATE.match(value):
        day, month, year = map(int, found.groups())
        year += 2000 if year < 100 else 0
    elif (found := WORDED_DATE.match(value)) and found.group(2) in MONTHS:
        day, month, year = int(found[1]), MONTHS[found[2]], int(found[3])
    else:
        return text
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return text


def decimal(text: str) -> str:
    """A number with a decimal comma ("48,11") as the standard writes it."""
    return text.strip().replace(",", ".")


def to_wgs84(x: str, y: str, srid: int) -> tuple[str, str] | None:
    """Longitude and latitude (WGS 84) of a point given in another projection
    (Lambert-93 is EPSG:2154), by GDAL; None when x or y is no number."""
    from django.contrib.gis.gdal import CoordTransform, OGRGeometry, SpatialReference

    try:
        x_value, y_value = float(decimal(x)), float(decimal(y))
    except ValueError:
        return None
    if not (math.isfinite(x_value) and math.isfinite(y_value)):
        return None
    point = OGRGeometry(f"POINT ({x_value!r} {y_value!r})", srs=srid)
    point.transform(CoordTransform(SpatialReference(srid), SpatialReference(4326)))
    return f"{point.x:.7f}", f"{point.y:.7f}"
