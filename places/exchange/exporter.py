"""Exporting places in the national standard v1.0.2: CSV, JSON or GeoJSON, streamed.

The 32 columns in schema order; multiple values joined with `|`; vocabulary values in
their order in the standard. What the standard has, export then import gives back.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from ..models import Kind, Place, Term
from .standard import COLUMNS, UNKNOWN_PIVOT, VOCABULARY_COLUMNS

CHUNK = 2000
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}


def for_export(queryset: QuerySet) -> QuerySet:
    ordered = Term.objects.order_by("position", "pk")
    return (
        queryset.select_related("commune")
        .prefetch_related(
            Prefetch("kinds", queryset=Kind.objects.order_by("position")),
            *(
                Prefetch(field, queryset=ordered)
                for _, field in VOCABULARY_COLUMNS.values()
            ),
        )
        .order_by("pk")
    )


def standard_row(place: Place) -> dict[str, str]:
    """One place as a row of the standard (every value a string)."""
    lon, lat = (place.location.x, place.location.y) if place.location else ("", "")
    row = {
        # Our page address: unique across sources (partners' ids are not) and stable.
        "id": place.slug,
        "pivot": place.pivot or UNKNOWN_PIVOT,
        "nom": place.name,
        "commune": place.commune.name,
        "code_postal": place.postal_code,
        "code_insee": place.commune.code,
        "adresse": place.address,
        "complement_adresse": place.address_extra,
        "latitude": repr(lat) if lat != "" else "",
        "longitude": repr(lon) if lon != "" else "",
        "telephone": place.phone,
        "courriels": "|".join(place.emails),
        "site_web": "|".join(place.websites),
        "horaires": place.opening_hours,
        "presentation_resume": place.summary,
        "presentation_detail": place.description,
        "source": place.source,
        "itinerance": "|".join(
            [
                v
                for v, on in (
                    ("Itinérant", place.itinerant),
                    ("Fixe", place.fixed_site),
                )
                if on
            ]
        ),
        "structure_parente": place.parent_network,
        "date_maj": place.data_updated_on.isoformat(),
        "autres_formations_labels": place.other_labels,
        "fiche_acces_libre": place.accessibility_url,
        "prise_rdv": place.booking_url,
    }
    for column, (_, field) in VOCABULARY_COLUMNS.items():
        row[column] = "|".join(term.value for term in getattr(place, field).all())
    return {column: row[column] for column in COLUMNS}


def rows(queryset: QuerySet) -> Iterator[tuple[Place, dict[str, str]]]:
    for place in for_export(queryset).iterator(chunk_size=CHUNK):
        yield place, standard_row(place)


class _Line(io.StringIO):
    """A one-line buffer for csv.writer, emptied after each row."""

    def pop(self) -> str:
        value = self.getvalue()
        self.seek(0)
        self.truncate()
        return value


def csv_chunks(queryset: QuerySet) -> Iterator[str]:
    buffer = _Line()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    yield buffer.pop()
    for _, row in rows(queryset):
        writer.writerow(row.values())
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
            {"type": "Point", "coordinates": [place.location.x, place.location.y]}
            if place.location
            else None
        )
        feature = {"type": "Feature", "geometry": geometry, "properties": row}
        yield ("," if n else "") + "\n" + json.dumps(feature, ensure_ascii=False)
    yield "\n]}\n"


def export(queryset: QuerySet, fmt: str) -> Iterable[str]:
    return {"csv": csv_chunks, "json": json_chunks, "geojson": geojson_chunks}[fmt](
        queryset
    )
