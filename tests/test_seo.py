"""What crawlers, link previews and browsers' caches read."""

import json

import pytest
from bs4 import BeautifulSoup

from places.models import Place

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def place():
    return PlaceFactory(
        name="Atelier numérique des Lices",
        summary="Aide aux démarches et accès libre.",
        phone="+33299000000",
        emails=["contact@example.org"],
        websites=["https://example.org"],
    )


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_the_rest(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    for path in ["/admin/", "/export/", "/carte/lieux.geojson", "/lieux/?",
                 "/api/v1/lieux/", "/api/v1/territoires/"]:  # fmt: skip
        assert f"Disallow: {path}\n" in text
    assert "Disallow: /api/v1/\n" not in text  # the API's documentation


def test_the_sitemap_lists_published_places_and_territories(client, place):
    draft = PlaceFactory(name="Brouillon", status=Place.Status.DRAFT)
    index = client.get("/sitemap.xml").content.decode()
    assert "/sitemap-lieux.xml" in index and "/sitemap-territoires.xml" in index
    places = client.get("/sitemap-lieux.xml").content.decode()
    assert place.get_absolute_url() in places and draft.get_absolute_url() not in places
    territories = client.get("/sitemap-territoires.xml").content.decode()
    assert "/territoires/35238/" in territories  # the place's commune
    assert "/territoires/R53/" in territories and "/territoires/35/" in territories
    assert "/territoires/29019/" not in territories  # Brest: no place


def test_a_place_page_has_canonical_url_sharing_tags_and_schema_org_data(client, place):
    page = BeautifulSoup(client.get(place.get_absolute_url()).content, "html.parser")
    url = f"http://testserver{place.get_absolute_url()}"
    assert page.find("link", rel="canonical")["href"] == url
    assert page.find("meta", property="og:title")["content"].startswith(place.name)
    assert page.find("meta", property="og:description")["content"] == place.summary
    assert page.find("meta", attrs={"name": "description"})["content"] == place.summary
    data = json.loads(page.find("script", type="application/ld+json").string)
    assert data["@type"] == "CivicStructure" and data["name"] == place.name
    assert data["address"]["addressLocality"] == "Rennes"
    assert data["address"]["postalCode"] == "35000"
    assert data["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 48.1113,
        "longitude": -1.6794,
    }
    assert data["telephone"] == "+33299000000"
    assert data["email"] == "contact@example.org"
    hours = data["openingHoursSpecification"]  # "Mo-Fr 09:00-12:00,14:00-18:00"
    weekdays = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}
    days = {spec["dayOfWeek"].rsplit("/", 1)[1] for spec in hours}
    assert days <= weekdays and len(days) >= 4  # a public holiday may close one
    assert {(spec["opens"], spec["closes"]) for spec in hours} == {
        ("09:00", "12:00"),
        ("14:00", "18:00"),
    }


def test_a_name_cannot_break_out_of_the_schema_org_block(client):
    place = PlaceFactory(name="</script><script>alert(1)</script>")
    html = client.get(place.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html


@pytest.mark.parametrize(
    "path", ["/", "/lieux/", "PLACE", "/carte/", "/territoires/35/"]
)
def test_public_pages_are_cacheable_and_revalidated(client, place, path):
    path = place.get_absolute_url() if path == "PLACE" else path
    response = client.get(path)
    cache_control = set(response["Cache-Control"].split(", "))
    assert cache_control == {"public", "max-age=0", "s-maxage=60"}
    again = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
