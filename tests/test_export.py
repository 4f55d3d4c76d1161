"""Export in the national standard v1.0.2: columns, validity, filters, round trip."""

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import override_settings

from bench.management.commands.measure_duplicates import measure
from places.exchange.importer import import_places
from places.exchange.standard import COLUMNS
from places.models import MatchCandidate, Place

from .conftest import REAL_FILES, SHARED_DATA, load_demo, needs_shared_data
from .factories import PlaceFactory

pytestmark = pytest.mark.django_db
SCHEMA = SHARED_DATA.parent / "standard" / "schema-v1.0.2.json"
needs_schema = pytest.mark.skipif(not SCHEMA.exists(), reason=f"{SCHEMA} not found")


def content(response) -> str:
    return b"".join(response.streaming_content).decode()


def export_csv(tmp_path, name="export.csv", query="") -> str:
    path = tmp_path / name
    call_command("export_places", "--output", str(path), "--query", query)
    return str(path)


def validate_against_standard(path: str):
    from frictionless import Schema, system, validate

    with system.use_context(trusted=True):
        return validate(path, schema=Schema.from_descriptor(str(SCHEMA)))


def test_csv_has_the_32_columns_in_schema_order(client):
    PlaceFactory(name="Un lieu")
    response = client.get("/export/lieux.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="lieux.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(content(response))))
    assert rows[0] == COLUMNS and len(COLUMNS) == 32
    assert rows[1][COLUMNS.index("nom")] == "Un lieu"


def test_export_is_exactly_what_was_filtered(client):
    PlaceFactory(name="Fablab", kinds=["fablab"])
    PlaceFactory(name="EPN", kinds=["epn"])
    PlaceFactory(name="Brouillon", kinds=["fablab"], status=Place.Status.DRAFT)
    for fmt in ["csv", "json", "geojson"]:
        body = content(client.get(f"/export/lieux.{fmt}?type=fablab"))
        assert "Fablab" in body and "EPN" not in body and "Brouillon" not in body, fmt


def test_json_and_geojson_exports_are_valid(client):
    place = PlaceFactory(
        name="Un lieu", services=["aide-aux-demarches-administratives"]
    )
    records = json.loads(content(client.get("/export/lieux.json")))
    assert list(records[0]) == COLUMNS
    assert records[0]["services"] == "Aide aux démarches administratives"
    collection = json.loads(content(client.get("/export/lieux.geojson")))
    assert collection["type"] == "FeatureCollection"
    feature = collection["features"][0]
    assert feature["geometry"]["coordinates"] == [place.location.x, place.location.y]
    assert feature["properties"]["id"] == place.slug


@needs_schema
def test_demo_export_is_valid_against_the_standard(tmp_path):
    load_demo()
    report = validate_against_standard(export_csv(tmp_path))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:10]


@needs_schema
@needs_shared_data
def test_real_data_exports_valid_and_comes_back_identical(tmp_path):
    """The two real files imported, exported (valid against the standard), the
    export imported into an empty database and exported again: the same bytes."""
    for name in REAL_FILES:
        import_places(str(SHARED_DATA / name))
    first = export_csv(tmp_path, "first.csv")
    with open(first, encoding="utf-8") as exported:
        rows = list(csv.DictReader(exported))
    # One row per place: the places merged across and within the files
    # (docs/matching.md) are written once.
    assert len(rows) == Place.objects.published().count() > 5900
    assert Place.objects.filter(status=Place.Status.MERGED).count() > 600
    # Issue 15's goal: visible duplicates at most 1 %, and every name, address
    # and commune of the files still found (docs/matching.md).
    found = measure()
    assert found.duplicates <= 0.01 * found.published
    assert (found.lost, found.shown + found.found) == (0, found.combinations)
    # Every pair left for review is of two published places (none merged since).
    assert not MatchCandidate.objects.filter(
        Q(first__status=Place.Status.MERGED) | Q(second__status=Place.Status.MERGED),
        decision=MatchCandidate.Decision.PENDING,
    ).exists()
    # Names with quotes, as the partners wrote them (RFC 4180 doubled quotes).
    assert 'Foyer Louis Colin "Joyeuse Retraite"' in {row["nom"] for row in rows}
    report = validate_against_standard(first)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:10]
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        Place.objects.all().delete()
    assert import_places(first).rejected == 0
    second = export_csv(tmp_path, "second.csv")
    with open(first, encoding="utf-8") as a, open(second, encoding="utf-8") as b:
        assert a.read() == b.read()


def test_export_then_import_into_an_empty_database_gives_the_same_file(tmp_path):
    load_demo()
    first = export_csv(tmp_path, "first.csv")
    # Emptied in bulk: no history row for each place.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        Place.objects.all().delete()
    report = import_places(first)
    assert report.rejected == 0
    second = export_csv(tmp_path, "second.csv")
    with open(first, encoding="utf-8") as a, open(second, encoding="utf-8") as b:
        assert a.read() == b.read()


def test_export_command_takes_the_listing_filters(tmp_path):
    PlaceFactory(name="Fablab", kinds=["fablab"])
    PlaceFactory(name="EPN", kinds=["epn"])
    with open(export_csv(tmp_path, query="type=epn"), encoding="utf-8") as exported:
        names = [row["nom"] for row in csv.DictReader(exported)]
    assert names == ["EPN"]


def test_export_query_count_does_not_grow(client, django_assert_max_num_queries):
    for _ in range(30):
        PlaceFactory(services=["aide-aux-demarches-administratives"])
    with django_assert_max_num_queries(16):
        content(client.get("/export/lieux.csv"))
