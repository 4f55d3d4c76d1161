"""Coverage on the real published data (../shared/data): every commune of the
country, checked against an independent PostGIS computation."""

import csv
import io

import pytest
from django.db import connection

from coverage import compute
from places.models import Place, Territory

from .conftest import needs_shared_data, real_files_imported

pytestmark = [needs_shared_data, pytest.mark.django_db]


@pytest.fixture(scope="module", autouse=True)
def real_coverage(django_db_setup, django_db_blocker):
    """Both real files imported, and coverage computed for all communes, once
    (committed); removed after."""
    with real_files_imported(django_db_blocker), django_db_blocker.unblock():
        yield compute.refresh_all()


def test_every_commune_with_a_centre_is_measured_in_every_dimension(real_coverage):
    communes = Territory.objects.filter(level="commune", centre__isnull=False).count()
    assert communes > 34000
    assert real_coverage.rows == communes * len(compute.dimensions())


def test_csv_distances_match_a_brute_force_postgis_computation(client, code="35"):
    """Each commune of a département: the distance of the CSV is the minimum of
    ST_Distance over every published place (no index, no cleverness), ±0.1 km; and
    the population totals are the département's."""
    table = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/territoires/{code}/couverture.csv").content.decode()
            )
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.code,"
            " min(ST_Distance(c.centre::geography, p.location::geography))"
            " FROM places_territory c CROSS JOIN places_place p"
            " WHERE c.level = 'commune' AND c.departement_code = %s"
            " AND c.centre IS NOT NULL AND p.status = 'published'"
            " AND p.location IS NOT NULL GROUP BY c.code",
            [code],
        )
        expected = {insee: metres / 1000 for insee, metres in cursor.fetchall()}
    measured = {
        row["code_insee"]: float(row["distance_km"])
        for row in table
        if row["distance_km"]
    }
    assert measured.keys() == expected.keys() and len(expected) > 100
    assert all(abs(measured[c] - expected[c]) <= 0.1 for c in expected)
    departement = Territory.objects.get(level="departement", code=code)
    assert sum(int(row["population"] or 0) for row in table) == departement.population


def test_a_service_csv_measures_to_places_offering_it(client):
    service = "aide-aux-demarches-administratives"
    overall = {
        row["code_insee"]: row
        for row in csv.DictReader(
            io.StringIO(client.get("/territoires/35/couverture.csv").content.decode())
        )
    }
    for row in csv.DictReader(
        io.StringIO(
            client.get(
                f"/territoires/35/couverture.csv?service={service}"
            ).content.decode()
        )
    ):
        assert float(row["distance_km"]) >= float(
            overall[row["code_insee"]]["distance_km"]
        )
        slug = row["lieu_le_plus_proche"].rstrip("/").rsplit("/", 1)[1]
        assert Place.objects.get(slug=slug).services.filter(code=service).exists()
