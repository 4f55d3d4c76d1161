"""Reading a partner's file (path or URL) into rows of strings, whatever its shape.

CSV (`,` `;` tab or `|` between columns, read as RFC 4180 says: quoted fields with
doubled quotes and line breaks; UTF-8 with or without BOM, UTF-16, Windows-1252 as a
fallback), JSON (a list of records, or `{"data": […]}`), GeoJSON FeatureCollection. A
file that cannot be read as any of these raises `FileRefused` with a message for
people. A record that cannot be read (a CSV row with more or fewer columns than the
header, a JSON value that is an object, a NUL character) is set aside in
`Table.refused` with its line and reason; the others are read.
"""

import csv
import io
import json
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .formulas import restore
from .standard import COLUMN_ALIASES, V0_MARKERS

MAX_BYTES = 200 * 1024 * 1024
# No cell of a real file comes near this; a longer one is refused with its row.
MAX_CELL = 100_000
REQUIRED = {"id", "nom", "code_postal", "adresse"}
DELIMITERS = ",;\t|"
# The csv module refuses fields over 128 KiB by raising in the middle of a file; a
# long field is reported with its row instead (MAX_CELL), and a quote left open that
# swallows the rest of the file is one row with too few columns.
csv.field_size_limit(MAX_BYTES)


class FileRefused(Exception):
    """The file cannot be imported at all; nothing was changed."""


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]]  # (line or record number, cells)
    format: str  # "csv", "json" or "geojson"
    version: str  # "v0" or "v1"
    encoding: str
    name: str  # the file's name, for a default source
    # Records that could not be read into cells: (line or record number, reason).
    refused: list[tuple[int, str]] = field(default_factory=list)
    # Read through a mapping: the (column, rule, cell) no table knew, counted; and
    # per kept row, the lines grouped into it.
    unmapped: Counter = field(default_factory=Counter)
    grouped: dict[int, list[int]] = field(default_factory=dict)


class RecordRefused(Exception):
    """One record cannot be read; the others can."""


def fetch(source: str) -> tuple[bytes, str]:
    if source.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(source, timeout=60) as response:  # noqa: S310
                return response.read(MAX_BYTES + 1), Path(response.url).stem
        except OSError as error:
            raise FileRefused(
                f"Impossible de télécharger {source} : {error}"
            ) from error
    path = Path(source)
    try:
        if path.stat().st_size > MAX_BYTES:  # said before reading it all
            raise FileRefused(f"Fichier trop gros (plus de {MAX_BYTES // 2**20} Mo).")
        return path.read_bytes(), path.stem
    except OSError as error:
        raise FileRefused(f"Impossible de lire {source} : {error.strerror}") from error


def utf16(data: bytes) -> str | None:
    """The codec of UTF-16 text (spreadsheets save "Unicode text" so): by its byte
    order mark, or without one, by ASCII characters alternating with zero bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = data[:4096]
    if len(head) >= 4 and head.count(0) * 2 >= len(head) * 0.9:
        if head[1::2].count(0) >= len(head) // 2 * 0.9:
            return "utf-16-le"
        if head[0::2].count(0) >= len(head) // 2 * 0.9:
            return "utf-16-be"
    return None


def decode(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """The text of a file and its encoding: `encoding` when given (a mapping says
    it), else UTF-16 when it looks so, UTF-8, or Windows-1252."""
    if encoding:
        try:
            return data.decode(encoding).lstrip("\ufeff"), encoding
        except UnicodeDecodeError as error:
            raise FileRefused(
                f"Le fichier n’est pas en {encoding} (octet {error.start})."
            ) from error
    codec = utf16(data)
    if codec:
        try:
            return data.decode(codec).lstrip("\ufeff"), "utf-16"
        except UnicodeDecodeError as error:
            raise FileRefused(f"UTF-16 illisible, octet {error.start}.") from error
    if b"\x00" in data[:4096]:
        raise FileRefused("Le fichier est binaire (ni CSV ni JSON).")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as error:
        raise FileRefused(
            f"Encodage illisible (ni UTF-8 ni Windows-1252), octet {error.start}."
        ) from error


def cell_text(value) -> str:
    """A JSON scalar as a CSV cell holds it: numbers as written, booleans "true"
    or "false", null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _scalar(key: str, value) -> str:
    if isinstance(value, dict | list):
        raise RecordRefused(f"« {key} » n’est pas un texte ni un nombre (objet JSON)")
    return cell_text(value)


def _cells(record: dict) -> dict[str, str]:
    """A JSON record's values as a CSV would hold them (a list of texts joined with
    `|`); a value that is an object is refused, never stored as Python's text."""
    cells = {}
    for key, value in record.items():
        key = str(key).strip()
        if isinstance(value, list):
            value = "|".join(_scalar(key, v) for v in value if v is not None)
        cells[key] = _scalar(key, value)
    return checked(cells)


def checked(cells: dict[str, str]) -> dict[str, str]:
    """The cells of one record, refused whole if one cannot be stored: a NUL
    character or half of a UTF-16 pair (in a value or a column's name), or a value
    longer than MAX_CELL."""
    for key, value in cells.items():
        for text in (key, value):
            if "\x00" in text:
                raise RecordRefused(f"caractère nul (octet 0) dans « {shown(key)} »")
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise RecordRefused(
                        f"caractère illisible dans « {shown(key)} »"
                    ) from None
        if len(value) > MAX_CELL:
            raise RecordRefused(
                f"« {key} » a plus de {MAX_CELL:,} caractères".replace(",", "\u202f")
            )
    return cells


def shown(name: str) -> str:
    """A column's name as a message can show (and the database keep) it."""
    printable = "".join(c if c.isprintable() else "\ufffd" for c in name[:60])
    return printable.encode("utf-8", "replace").decode()


def _geometry_cells(geometry) -> dict[str, str]:
    """longitude and latitude of a GeoJSON Point; what else was there, shown as it
    was (the row reader reports it as unreadable coordinates)."""
    if geometry is None:
        return {}
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if (
        isinstance(geometry, dict)
        and geometry.get("type") == "Point"
        and isinstance(coordinates, list)
        and len(coordinates) >= 2
        and all(isinstance(v, int | float) for v in coordinates[:2])
    ):
        return {"longitude": str(coordinates[0]), "latitude": str(coordinates[1])}
    return {"latitude": json.dumps(geometry, ensure_ascii=False)[:80], "longitude": ""}


def _records(records: list, read) -> tuple[list[tuple[int, dict]], list]:
    """Each record (numbered from 1) read by `read`, or refused with its reason."""
    rows, refused = [], []
    for number, record in enumerate(records, start=1):
        try:
            rows.append((number, read(number, record)))
        except RecordRefused as refusal:
            refused.append((number, str(refusal)))
    return rows, refused


def _feature(number: int, feature) -> dict[str, str]:
    if not isinstance(feature, dict):
        raise RecordRefused("ce n’est pas une Feature GeoJSON")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise RecordRefused("« properties » n’est pas un objet")
    return {**_cells(properties), **_geometry_cells(feature.get("geometry"))}


def _record(number: int, record) -> dict[str, str]:
    if not isinstance(record, dict):
        raise RecordRefused("ce n’est pas un objet (un lieu)")
    return _cells(record)


def _load_json(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRefused(
            f"JSON invalide, ligne {error.lineno} : {error.msg}."
        ) from error
    except RecursionError as error:
        raise FileRefused("JSON trop profondément imbriqué.") from error
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise FileRefused(f"JSON illisible : {error}.") from error


def _from_json(text: str) -> tuple[list[tuple[int, dict]], list, str]:
    data = _load_json(text)
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if not isinstance(features, list):
            raise FileRefused("GeoJSON : « features » n’est pas une liste.")
        return *_records(features, _feature), "geojson"
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list):
        raise FileRefused("JSON : une liste d’objets (un par lieu) est attendue.")
    return *_records(data, _record), "json"


def _delimiter(header_line: str) -> str:
    """The column separator: of `,` `;` tab and `|`, the one that cuts the header
    line into most columns (outside quotes)."""
    columns = {d: len(next(csv.reader([header_line], delimiter=d))) for d in DELIMITERS}
    best = max(columns, key=columns.get)
    if columns[best] < 2:
        raise FileRefused("Ni CSV ni JSON : aucun séparateur de colonnes reconnu.")
    return best


def _from_csv(
    text: str, delimiter: str | None = None
) -> tuple[list[tuple[int, dict]], list]:
    """Rows as RFC 4180 has them (Excel's dialect: `"` quotes, `""` for a quote in
    a field), with the separator found in the header line. A row with more or fewer
    columns than the header is refused, never shifted into the wrong columns."""
    delimiter = delimiter or _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration as error:
        raise FileRefused("Le fichier est vide.") from error
    if any("\x00" in name for name in header):
        raise FileRefused("Ligne d’en-tête illisible (caractère nul).")
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise FileRefused(
            f"Colonnes en double : {', '.join(twice)}. Renommez-les : on ne peut "
            "savoir laquelle croire."
        )
    rows, refused = [], []
    start = reader.line_num + 1  # where the next record begins
    for cells in reader:
        line, end, start = start, reader.line_num, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and not any(
            c.strip() for c in cells[len(header) :]
        ):
            cells = cells[: len(header)]  # a separator at the end of the line
        if len(cells) != len(header):
            lines = f"lignes {line} à {end}" if end > line else f"ligne {line}"
            refused.append(
                (
                    line,
                    f"{len(cells)} colonnes au lieu de {len(header)} ({lines} : "
                    "guillemet non fermé ou séparateur en trop ?)",
                )
            )
            continue
        try:
            cells = dict(zip(header, map(restore, cells), strict=True))
            rows.append((line, checked(cells)))
        except RecordRefused as refusal:
            refused.append((line, str(refusal)))
    return rows, refused


def partner_records(
    text: str, path: str | None = None, separator: str | None = None
) -> tuple[list[tuple[int, object]], list[tuple[int, str]], str]:
    """The records of a partner's file in its own layout, each with its line (CSV)
    or place in the list (JSON: under `path`, else the list itself or under
    `features`, `data` or `results`); the CSV rows that could not be read; "json"
    or "csv"."""
    from .mapping import MappingError
    from .mapping.engine import records as json_records

    if not text.strip():
        raise FileRefused("Le fichier est vide.")
    if text.lstrip()[0] in "[{":
        try:
            data = json_records(_load_json(text), path)
        except MappingError as error:
            raise FileRefused(str(error)) from error
        records, detected, unreadable = list(enumerate(data, start=1)), "json", []
    else:
        records, unreadable = _from_csv(text, separator)
        detected = "csv"
    if not records:
        first = (
            f" ; la première, n°{unreadable[0][0]} : {unreadable[0][1]}"
            if unreadable
            else ""
        )
        raise FileRefused(f"Aucun lieu lisible dans le fichier{first}.")
    return records, unreadable, detected


def _mapped(text: str, mapping) -> tuple[list[tuple[int, dict]], list, str, dict]:
    """A partner's own layout: each record (JSON: where the mapping says, else a
    list, or the list under `features`, `data` or `results`; or CSV rows) flattened,
    then turned into the standard's cells by `mapping` (places/exchange/mapping/),
    then grouped when it says so. Also: the cells no value table knew, counted, and
    the lines grouped into each kept one."""
    from .mapping import MappingError, flatten

    records, unreadable, detected = partner_records(
        text, mapping.document.get("enregistrements"), mapping.csv.get("separateur")
    )
    unmapped = Counter()

    def read(_position: int, record) -> dict[str, str]:
        if not isinstance(record, dict):
            raise RecordRefused("ce n’est pas un objet (un lieu)")
        try:
            return checked(mapping.row(flatten(record), unmapped))
        except MappingError as error:
            raise RecordRefused(str(error)) from error

    # Each refusal or row under its line (CSV) or its place in the list (JSON).
    rows, refused = _records([record for _line, record in records], read)
    rows = [(records[n - 1][0], cells) for n, cells in rows]
    refused = unreadable + [(records[n - 1][0], reason) for n, reason in refused]
    rows, grouped = mapping.grouped(rows)
    return rows, refused, detected, {"unmapped": unmapped, "grouped": grouped}


def read_table(
    source: str, fmt: str = "auto", content: bytes | None = None, mapping=None
) -> Table:
    """The rows of `source` (a path or URL), or of `content` when given (a file
    received otherwise, `source` being its name); with `mapping`, a partner's own
    layout read through it."""
    data, name = (content, Path(source).stem) if content is not None else fetch(source)
    if len(data) > MAX_BYTES:
        raise FileRefused(f"Fichier trop gros (plus de {MAX_BYTES // 2**20} Mo).")
    encoding = mapping.csv.get("encodage") if mapping is not None else None
    text, encoding = decode(data, encoding)
    stripped = text.lstrip()
    if not stripped:
        raise FileRefused("Le fichier est vide.")
    found = {}
    if mapping is not None:
        rows, refused, detected, found = _mapped(text, mapping)
    elif fmt in ("geojson", "json") or (fmt == "auto" and stripped[0] in "[{"):
        rows, refused, detected = _from_json(text)
        if fmt == "geojson" and detected != "geojson":
            raise FileRefused("GeoJSON attendu : une FeatureCollection.")
    else:
        (rows, refused), detected = _from_csv(text), "csv"
    rows = [
        (n, {COLUMN_ALIASES.get(k, k): v for k, v in cells.items()})
        for n, cells in rows
    ]
    if refused and not rows:
        line, reason = refused[0]
        raise FileRefused(f"Aucun lieu lisible ; le premier, n°{line} : {reason}.")
    columns = set().union(*(cells.keys() for _, cells in rows)) if rows else set()
    missing = REQUIRED - columns
    if missing:
        found = ", ".join(sorted(columns)) or "aucune"
        raise FileRefused(
            f"Colonnes obligatoires absentes : {', '.join(sorted(missing))} "
            f"(colonnes lues : {found})."
        )
    version = "v0" if columns & V0_MARKERS else "v1"
    return Table(
        rows=rows,
        format=detected,
        version=version,
        encoding=encoding,
        name=name,
        refused=refused,
        **found,
    )
