"""Reading a partner's file (path or URL) into rows of strings, whatever its shape.

CSV (`,` `;` tab or `|` between columns, UTF-8 with or without BOM, Windows-1252 as a
fallback), JSON (a list of records, or `{"data": […]}`), GeoJSON FeatureCollection. A
file that cannot be read as any of these raises `FileRefused` with a message for people.
"""

import csv
import io
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .standard import COLUMN_ALIASES, V0_MARKERS

MAX_BYTES = 200 * 1024 * 1024
REQUIRED = {"id", "nom", "code_postal", "adresse"}


class FileRefused(Exception):
    """The file cannot be imported at all; nothing was changed."""


@dataclass
class Table:
    rows: list[tuple[int, dict[str, str]]]  # (line or record number, cells)
    format: str  # "csv", "json" or "geojson"
    version: str  # "v0" or "v1"
    encoding: str
    name: str  # the file's name, for a default source


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
        return path.read_bytes(), path.stem
    except OSError as error:
        raise FileRefused(f"Impossible de lire {source} : {error.strerror}") from error


def decode(data: bytes) -> tuple[str, str]:
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


def _cells(record: dict) -> dict[str, str]:
    """Stringify a JSON record's values the way a CSV would hold them."""
    cells = {}
    for key, value in record.items():
        if value is None:
            value = ""
        elif isinstance(value, list):
            value = "|".join(str(v) for v in value if v is not None)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        cells[str(key).strip()] = str(value)
    return cells


def _from_json(text: str) -> tuple[list[tuple[int, dict]], str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileRefused(
            f"JSON invalide, ligne {error.lineno} : {error.msg}."
        ) from error
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        rows = []
        for number, feature in enumerate(data.get("features") or [], start=1):
            if not isinstance(feature, dict):
                raise FileRefused(
                    f"GeoJSON : l’objet n°{number} n’est pas une Feature."
                )
            cells = _cells(feature.get("properties") or {})
            geometry = feature.get("geometry") or {}
            coordinates = (
                geometry.get("coordinates") if isinstance(geometry, dict) else None
            )
            if (
                geometry.get("type") == "Point"
                and isinstance(coordinates, list)
                and len(coordinates) >= 2
            ):
                cells["longitude"], cells["latitude"] = (
                    str(coordinates[0]),
                    str(coordinates[1]),
                )
            rows.append((number, cells))
        return rows, "geojson"
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FileRefused("JSON : une liste d’objets (un par lieu) est attendue.")
    return [(number, _cells(item)) for number, item in enumerate(data, start=1)], "json"


def _from_csv(text: str) -> list[tuple[int, dict]]:
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error as error:
        raise FileRefused(
            "Ni CSV ni JSON : aucun séparateur de colonnes reconnu."
        ) from error
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration as error:
        raise FileRefused("Le fichier est vide.") from error
    rows = []
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        # reader.line_num is the physical line where this record ends.
        rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    return rows


def read_table(source: str, fmt: str = "auto") -> Table:
    data, name = fetch(source)
    if len(data) > MAX_BYTES:
        raise FileRefused(f"Fichier trop gros (plus de {MAX_BYTES // 2**20} Mo).")
    text, encoding = decode(data)
    stripped = text.lstrip()
    if not stripped:
        raise FileRefused("Le fichier est vide.")
    if fmt in ("geojson", "json") or (fmt == "auto" and stripped[0] in "[{"):
        rows, detected = _from_json(text)
        if fmt == "geojson" and detected != "geojson":
            raise FileRefused("GeoJSON attendu : une FeatureCollection.")
    else:
        rows, detected = _from_csv(text), "csv"
    rows = [
        (n, {COLUMN_ALIASES.get(k, k): v for k, v in cells.items()})
        for n, cells in rows
    ]
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
        rows=rows, format=detected, version=version, encoding=encoding, name=name
    )
