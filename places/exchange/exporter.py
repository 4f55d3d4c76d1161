"""Exporting places in the national standard v1.0.2: CSV, JSON or GeoJSON, streamed.

The 32 columns in schema order; multiple values joined with `|`; vocabulary values in
their order in the standard. What the standard has, export then import gives back.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from itertools import islice

from django.db import connections
from django.db.models import QuerySet

from ..models import Place, PointX, PointY, Term
from .formulas import neutralise
from .standard import COLUMNS, UNKNOWN_PIVOT, VOCABULARY_COLUMNS

CHUNK = 2000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}


# The place's own columns, read as plain values (no model instances: an export of
# 100,000 places would build a million of them with the vocabularies).
FIELDS = (
    "pk", "slug", "pivot", "name", "commune__name", "commune__code", "postal_code",
    "address", "address_extra", "phone", "emails", "websites", "opening_hours",
    "summary", "description", "source", "itinerant", "fixed_site", "parent_network",
    "data_updated_on", "other_labels", "accessibility_url", "booking_url",
)  # fmt: skip


def itinerance(place: dict) -> list[str]:
    """The standard's `itinerance` values of a place (its FIELDS)."""
    return [
        value
        for value, on in (
            ("Itinérant", place["itinerant"]),
            ("Fixe", place["fixed_site"]),
        )
        if on
    ]


def standard_row(place: dict, links: dict[str, list[str]]) -> dict[str, str]:
    """One place (its FIELDS, `lon`, `lat`) and the values of its vocabularies (by
    field) as a row of the standard: every value a string, in schema order."""
    lon, lat = place["lon"], place["lat"]
    row = {
        # Our page address: unique across sources (partners' ids are not) and stable.
        "id": place["slug"],
        "pivot": place["pivot"] or UNKNOWN_PIVOT,
        "nom": place["name"],
        "commune": place["commune__name"],
        "code_postal": place["postal_code"],
        "code_insee": place["commune__code"],
        "adresse": place["address"],
        "complement_adresse": place["address_extra"],
        "latitude": repr(lat) if lat is not None else "",
        "longitude": repr(lon) if lon is not None else "",
        "telephone": place["phone"],
        "courriels": "|".join(place["emails"]),
        "site_web": "|".join(place["websites"]),
        "horaires": place["opening_hours"],
        "presentation_resume": place["summary"],
        "presentation_detail": place["description"],
        "source": place["source"],
        "itinerance": "|".join(itinerance(place)),
        "structure_parente": place["parent_network"],
        "date_maj": place["data_updated_on"].isoformat(),
        "autres_formations_labels": place["other_labels"],
        "fiche_acces_libre": place["accessibility_url"],
        "prise_rdv": place["booking_url"],
    }
    for column, (_, field) in VOCABULARY_COLUMNS.items():
        row[column] = "|".join(links.get(field, ()))
    return {column: row[column] for column in COLUMNS}


def term_values(using: str) -> dict[int, tuple[int, int, str]]:
    """Every term's (position, id, value in the standard), by id: read once."""
    return {
        pk: (position, pk, value)
        for pk, position, value in Term.objects.using(using).values_list(
            "pk", "position", "value"
        )
    }


LINK_TABLES = [
    (field, getattr(Place, field).through._meta.db_table)
    for _, field in VOCABULARY_COLUMNS.values()
]


def linked_values(
    ids: list[int], terms: dict[int, tuple], using: str
) -> dict[int, dict[str, list[str]]]:
    """The standard's vocabulary values of the places `ids`, by place and field, in
    the standard's order: one query per vocabulary (id pairs, turned into values
    with `terms`, from `term_values`)."""
    links: dict[int, dict[str, list]] = {pk: {} for pk in ids}
    with connections[using].cursor() as cursor:
        for field, table in LINK_TABLES:
            cursor.execute(
                f"SELECT place_id, term_id FROM {table} WHERE place_id = ANY(%s)",
                [ids],
            )
            for place_id, term_id in cursor.fetchall():
                links[place_id].setdefault(field, []).append(terms[term_id])
    return {
        pk: {
            field: [value for *_, value in sorted(found)] for field, found in by.items()
        }
        for pk, by in links.items()
    }


def rows(queryset: QuerySet) -> Iterator[tuple[dict, dict[str, str]]]:
    """(place values, standard row) in id order, CHUNK places at a time: one query
    for the places, then the chunk's vocabulary values (`linked_values`)."""
    terms = term_values(queryset.db)
    places = (
        queryset.order_by("pk")
        .annotate(lon=PointX("location"), lat=PointY("location"))
        .values(*FIELDS, "lon", "lat")
    )
    stream = places.iterator(chunk_size=CHUNK)
    while chunk := list(islice(stream, CHUNK)):
        links = linked_values([place["pk"] for place in chunk], terms, places.db)
        for place in chunk:
            yield place, standard_row(place, links[place["pk"]])


class _Line(io.StringIO):
    """A one-line buffer for csv.writer, emptied after each row."""

    def pop(self) -> str:
        value = self.getvalue()
        self.seek(0)
        self.truncate()
        return value


def csv_chunks(queryset: QuerySet) -> Iterator[str]:
    """RFC 4180 rows; cells a spreadsheet would run as formulas are neutralised
    (formulas.py), which the importer undoes."""
    buffer = _Line()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buffer.pop()
    for _, row in rows(queryset):
        writer.writerow(map(neutralise, row.values()))
        yield buffer.pop()


def json_chunks(queryset: QuerySet) -> Iterator[str]:
    yield "["
    for n, (_, row) in enumerate(rows(queryset)):
        yield ("," if n else "") + "\n" + json.dumps(row, ensure_ascii=False)
    yield "\n]\n"


def geojson_chunks(queryset: QuerySet) -> Iterator[str]:
    yield '{"type": "FeatureCollection", "features": ['
    for n, (place, row) in enumerate(rows(queryset)):
        geometry = (
            {"type": "Point", "coordinates": [place["lon"], place["lat"]]}
            if place["lat"] is not None
            else None
        )
        feature = {"type": "Feature", "geometry": geometry, "properties": row}
        yield ("," if n else "") + "\n" + json.dumps(feature, ensure_ascii=False)
    yield "\n]}\n"


def export(queryset: QuerySet, fmt: str) -> Iterable[str]:
    return {"csv": csv_chunks, "json": json_chunks, "geojson": geojson_chunks}[fmt](
        queryset
    )
