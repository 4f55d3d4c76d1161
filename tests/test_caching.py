"""Whole public pages kept by the server (places/caching.py, cached_page): a page
asked for again costs one query (none when the version was read less than
PAGE_VERSION_SECONDS ago), and a change shows at once (within that time)."""

import time

import pytest

from places.models import Place

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_SECONDS = 120


@pytest.fixture
def place():
    return PlaceFactory(name="Atelier des Lices", kinds=["epn"])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/lieux/?q=lices",
        "PLACE",
        "/carte/",
        "/territoires/35/",
        "/carte/lieux.geojson?bbox=-1.75,48.08,-1.62,48.14&zoom=16",
    ],
)
def test_a_page_asked_again_costs_one_query(
    client, place, path, django_assert_num_queries
):
    path = place.get_absolute_url() if path == "PLACE" else path
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the data version
        again = client.get(path)
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Cache-Control"] == first["Cache-Control"]
    assert again["ETag"] == first["ETag"]


def test_a_change_shows_at_once(client, place):
    assert "Atelier des Lices" in client.get(place.get_absolute_url()).content.decode()
    Place.objects.filter(pk=place.pk).update(name="Atelier des Lices et du Thabor")
    page = client.get(place.get_absolute_url()).content.decode()
    assert "Atelier des Lices et du Thabor" in page


def test_a_missing_page_is_not_kept(client, place):
    assert client.get("/lieux/atelier-du-colombier-rennes/").status_code == 404
    PlaceFactory(name="Atelier du Colombier")
    assert client.get("/lieux/atelier-du-colombier-rennes/").status_code == 200


def test_pages_of_a_logged_in_coordinator_are_never_kept(admin_client, client, place):
    admin_client.get(place.get_absolute_url())
    admin_again = admin_client.get(place.get_absolute_url())
    assert admin_again.context is not None  # rendered again, not from the cache
    visitor = client.get(place.get_absolute_url())
    assert visitor.context is not None  # and nothing was kept for others


def test_the_embed_view_keeps_its_framing_policy_from_the_cache(client, place):
    for _ in range(2):
        embed = client.get("/carte/", {"embed": "1"})
        assert "X-Frame-Options" not in embed
        assert "frame-ancestors *" in embed["Content-Security-Policy"]
    page = client.get("/carte/")
    assert page["X-Frame-Options"] == "DENY"


def test_the_version_read_for_pages_is_at_most_that_old(
    client, place, settings, django_assert_num_queries
):
    """With PAGE_VERSION_SECONDS, a process reads the data version at most that
    often for whole pages: no query at all in between, and a change shows once the
    time has passed."""
    settings.PAGE_VERSION_SECONDS = 0.5
    url = place.get_absolute_url()
    read_at = time.monotonic()
    client.get(url)
    with django_assert_num_queries(0):
        client.get(url)
    Place.objects.filter(pk=place.pk).update(name="Atelier des Lices et du Thabor")
    page = client.get(url).content.decode()
    if time.monotonic() - read_at < 0.45:  # surely within the half second
        assert "Atelier des Lices et du Thabor" not in page
    time.sleep(0.6)
    assert "Atelier des Lices et du Thabor" in client.get(url).content.decode()
