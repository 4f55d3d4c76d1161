"""Reads sent to a PostgreSQL replica (epn_directory/replicas.py), with a second
database alias, "replica1": in tests, a second connection to the test database
(TEST MIRROR), so what is committed through one is seen through the other."""

import pytest
from django.core.management import call_command
from django.db import connections
from django.test.utils import CaptureQueriesContext

from places.models import Place, Territory

from .conftest import REFERENCE
from .factories import PlaceFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica1"])


@pytest.fixture
def replica(settings):
    settings.DATABASE_READ_REPLICAS = ["replica1"]
    call_command("loaddata", REFERENCE, verbosity=0)  # flushed by transactional tests
    Territory.objects.get_or_create(
        level="commune", code="35238", defaults={"name": "Rennes"}
    )
    return PlaceFactory(name="Atelier des Lices", kinds=["epn"])


def sql_by_alias(do) -> dict[str, list[str]]:
    """What `do()` ran on the primary and on the replica."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica1"]) as replica,
    ):
        response = do()
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    return {
        "default": [q["sql"] for q in primary.captured_queries],
        "replica1": [q["sql"] for q in replica.captured_queries],
        "response": response,
    }


def touches_places(queries: list[str]) -> list[str]:
    return [sql for sql in queries if "places_" in sql]


@pytest.mark.parametrize(
    ("path", "shows_the_place"),
    [
        ("/", False),
        ("/lieux/?q=atelier&type=epn", True),
        ("PLACE", True),
        ("/carte/", False),
        ("/carte/lieux.geojson?zoom=5", False),
        ("/carte/lieux.geojson?bbox=-1.75,48.08,-1.62,48.14&zoom=16", True),
        ("/export/lieux.csv", True),
        ("/sitemap-lieux.xml", False),
    ],
)
def test_public_pages_read_the_directory_from_the_replica(
    client, replica, path, shows_the_place
):
    path = replica.get_absolute_url() if path == "PLACE" else path
    ran = sql_by_alias(lambda: client.get(path))
    response = ran["response"]
    assert response.status_code == 200
    assert touches_places(ran["replica1"])  # the data, and its version
    assert touches_places(ran["default"]) == []
    if shows_the_place and not response.streaming:
        assert "Atelier des Lices" in response.content.decode()


def test_writes_forms_and_the_admin_stay_on_the_primary(client, admin_user, replica):
    url = replica.get_absolute_url() + "signaler/"
    posted = sql_by_alias(
        lambda: client.post(
            url, {"field": "phone", "proposed_value": "02 99 00 00 00", "comment": "x"}
        )
    )
    assert posted["response"].status_code == 302
    assert posted["replica1"] == []
    assert any("INSERT" in sql for sql in posted["default"])

    client.force_login(admin_user)
    admin = sql_by_alias(
        lambda: client.get(f"/admin/places/place/{replica.pk}/change/")
    )
    assert admin["response"].status_code == 200
    assert admin["replica1"] == [] and touches_places(admin["default"])


def test_code_outside_a_request_reads_the_primary(replica):
    ran = sql_by_alias(lambda: list(Place.objects.all()))
    assert ran["replica1"] == [] and touches_places(ran["default"])


def test_without_replicas_everything_reads_the_primary(client, replica, settings):
    settings.DATABASE_READ_REPLICAS = []
    ran = sql_by_alias(lambda: client.get("/lieux/?q=atelier"))
    assert ran["replica1"] == [] and touches_places(ran["default"])
