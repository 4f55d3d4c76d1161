"""Public pages: right content for a known place, filters, errors, and bounded SQL."""

import json

import pytest
from bs4 import BeautifulSoup
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from places.models import Place, Term

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


def result_names(response) -> list[str]:
    results = soup(response).find(id="resultats")
    if results is None:
        return []
    return [a.get_text(strip=True) for a in results.select("li h3 a")]


@pytest.fixture
def fablab():
    place = PlaceFactory(
        name="La Fabrique des Tanneurs",
        kinds=["fablab", "tiers-lieu"],
        services=["loisirs-et-creations-numeriques"],
        summary="Imprimantes 3D et découpe laser en accès libre.",
        description="Un atelier partagé au bord de la Vilaine.",
        address="8 rue des Tanneurs",
        address_extra="Bâtiment B",
        postal_code="35000",
        phone="+33299000000",
        emails=["bonjour@tanneurs.example.org"],
        websites=["https://tanneurs.example.org/"],
        booking_url="https://tanneurs.example.org/rdv",
        accessibility_url="https://acceslibre.example.org/tanneurs",
        opening_hours="We 14:00-19:00; Sa 10:00-18:00",
        location=Point(-1.6868, 48.1105, srid=4326),
        pivot="12345678900011",
        other_labels="Label maison",
    )
    place.equipment.set(
        Term.objects.filter(vocabulary="equipment", code="imprimante-3d")
    )
    place.fees.set(Term.objects.filter(vocabulary="fee", code="gratuit-sous-condition"))
    place.structure_types.set(
        Term.objects.filter(vocabulary="structure_type", code="fablab")
    )
    return place


def test_home_shows_search_form_and_kinds_with_counts(client, fablab):
    PlaceFactory(kinds=["epn"], status=Place.Status.DRAFT)
    page = soup(client.get("/"))
    assert page.find("form", action="/lieux/").find("input", attrs={"name": "q"})
    assert page.find("input", attrs={"name": "ou"})
    tiles = {
        tile.find(class_="kind-tile__label").get_text(): tile.find(
            class_="kind-tile__count"
        ).get_text()
        for tile in page.select(".kind-tile")
    }
    assert tiles["Fablabs"] == "1 lieu"
    assert (
        tiles["Espaces publics numériques"] == "aucun lieu pour l’instant"
    )  # the draft is not counted


def test_listing_links_to_published_places_only(client, fablab):
    PlaceFactory(name="Brouillon caché", status=Place.Status.DRAFT)
    PlaceFactory(name="Lieu fermé", status=Place.Status.CLOSED)
    page = soup(client.get("/lieux/"))
    links = page.find(id="resultats").select("li a")
    assert [a.get_text(strip=True) for a in links] == ["La Fabrique des Tanneurs"]
    assert links[0]["href"] == fablab.get_absolute_url()
    assert page.find(id="resultats").name in ("ol", "ul")


@pytest.mark.parametrize(
    "query, found",
    [
        ("q=tanneurs", True),
        ("q=FABRIQUE+tannéurs", True),  # case and accents ignored
        ("q=imprimantes", True),  # summary
        ("q=rennes", True),  # town
        ("q=piscine", False),
        ("type=fablab", True),
        ("type=coworking", False),
        ("type=coworking&type=fablab", True),  # OR within a facet
        ("service=loisirs-et-creations-numeriques", True),
        ("service=aide-aux-demarches-administratives", False),
        ("ou=35", True),
        ("ou=ille-et-vilaine", True),
        ("ou=Bretagne", True),
        ("ou=35000", True),
        ("ou=Rennes", True),
        ("ou=29", False),
        ("ou=Brest", False),
        ("type=fablab&ou=29", False),  # AND across facets
    ],
)
def test_listing_filters(client, fablab, query, found):
    PlaceFactory(
        name="Point numérique de Brest", commune=commune("29019"), postal_code="29200"
    )
    names = result_names(client.get(f"/lieux/?{query}"))
    assert ("La Fabrique des Tanneurs" in names) is found


def test_unknown_place_name_is_a_friendly_message(client, fablab):
    response = client.get("/lieux/?ou=Atlantide")
    assert "Nous ne trouvons pas" in soup(response).get_text()
    assert result_names(response) == []


@pytest.mark.parametrize(
    "query",
    [
        "type=nimporte&service=quoi&page=abc&tri=zzz",
        "page=-3",
        "page=99999999999999999999",
        "q=" + "x" * 5000,
        "ou=%00%ff",
        "q=' OR 1=1 --",
        "ou=<script>alert(1)</script>",
        "service=",
    ],
)
def test_bad_parameters_never_break_the_listing(client, fablab, query):
    response = client.get(f"/lieux/?{query}")
    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_unknown_codes_are_reported_and_ignored(client, fablab):
    response = client.get("/lieux/?type=nimporte&q=tanneurs")
    page = soup(response)
    assert "n’ont pas été compris" in page.get_text()
    assert result_names(response) == ["La Fabrique des Tanneurs"]


def test_pagination_keeps_the_filters(client):
    for n in range(25):
        PlaceFactory(name=f"Fablab {n:02d}", kinds=["fablab"])
    PlaceFactory(name="Un EPN", kinds=["epn"])
    first = soup(client.get("/lieux/?type=fablab&tri=nom"))
    assert len(first.find(id="resultats").find_all("li", recursive=False)) == 20
    assert "25 lieux trouvés" in first.get_text()
    next_link = first.find("a", rel="next")["href"]
    assert "type=fablab" in next_link and "page=2" in next_link
    second = client.get("/lieux/" + next_link)
    assert result_names(second) == [f"Fablab {n:02d}" for n in range(20, 25)]


def test_place_page_shows_every_field(client, fablab):
    page = soup(client.get(fablab.get_absolute_url()))
    text = page.get_text(" ", strip=True)
    assert page.h1.get_text() == "La Fabrique des Tanneurs"
    for expected in [
        "Fablab",
        "Tiers-lieu",
        "Imprimantes 3D et découpe laser",
        "au bord de la Vilaine",
        "Loisirs et créations numériques",
        "Imprimante 3D",
        "Gratuit sous condition",
        "8 rue des Tanneurs",
        "Bâtiment B",
        "35000 Rennes",
        "02 99 00 00 00",
        "bonjour@tanneurs.example.org",
        "https://tanneurs.example.org/",
        "Label maison",
        "Fablab / Atelier partagé",
        "Ille-et-Vilaine",
        "12345678900011",
    ]:
        assert expected in text, expected
    assert page.find("address")
    assert page.find("a", href="tel:+33299000000")
    assert page.find("a", href="https://tanneurs.example.org/rdv")
    assert page.find("a", href="https://acceslibre.example.org/tanneurs")
    rows = page.select("table.hours tbody tr")
    assert len(rows) == 7
    by_day = {row.th.time["datetime"]: row.td.get_text(strip=True) for row in rows}
    assert (
        sorted(by_day.values()).count("Fermé") == 5
    )  # open Wednesday and Saturday only
    assert {"14:00–19:00", "10:00–18:00"} <= set(by_day.values())
    map_div = page.find(id="place-map")
    assert (map_div["data-lat"], map_div["data-lon"]) == ("48.110500", "-1.686800")
    assert page.find("time", datetime=fablab.data_updated_on.isoformat())


def test_place_page_lists_nearby_places_nearest_first(client, fablab):
    PlaceFactory(name="Loin", location=Point(-1.60, 48.11, srid=4326))
    PlaceFactory(name="Tout près", location=Point(-1.686, 48.1108, srid=4326))
    nearby = soup(client.get(fablab.get_absolute_url())).find(
        "section", class_="nearby"
    )
    items = [li.get_text(" ", strip=True) for li in nearby.find_all("li")]
    assert items[0].startswith("Tout près") and "à 70 m" in items[0]
    assert items[1].startswith("Loin") and "km" in items[1]


def test_nearby_places_are_in_real_distance_order_each_once(client, fablab):
    """At 48° N a degree of longitude is two thirds of a degree of latitude: by
    degrees alone, 520 m north came before 446 m east."""
    x, y = fablab.location.x, fablab.location.y
    PlaceFactory(name="Nord", location=Point(x, y + 0.00468, srid=4326))  # 520 m
    PlaceFactory(name="Est", location=Point(x + 0.0060, y, srid=4326))  # 446 m
    # The fablab itself, from another source, and a place listed twice.
    PlaceFactory(name=fablab.name, address=fablab.address, location=fablab.location,
                 source="autre")  # fmt: skip
    for source in ("a", "b"):
        PlaceFactory(name="Cyber-base", address="2 rue X", source=source,
                     location=Point(x + 0.0001, y + 0.0001, srid=4326))  # fmt: skip
    # Once more, its address spelt another way, 10 m away.
    PlaceFactory(name="CYBER-BASE", address="2 R. X", source="c",
                 location=Point(x + 0.0002, y + 0.0001, srid=4326))  # fmt: skip
    nearby = soup(client.get(fablab.get_absolute_url())).find(
        "section", class_="nearby"
    )
    names = [li.a.get_text(strip=True) for li in nearby.find_all("li")]
    assert names == ["Cyber-base", "Est", "Nord"]


def test_invalid_hours_are_shown_verbatim(client):
    place = PlaceFactory(opening_hours="le matin sauf le mardi")
    page = soup(client.get(place.get_absolute_url()))
    assert "le matin sauf le mardi" in page.get_text()
    assert not page.select("table.hours")


def test_draft_is_not_public_and_closed_is_marked(client):
    assert (
        client.get(
            PlaceFactory(status=Place.Status.DRAFT).get_absolute_url()
        ).status_code
        == 404
    )
    closed = PlaceFactory(status=Place.Status.CLOSED)
    assert (
        "fermé définitivement" in soup(client.get(closed.get_absolute_url())).get_text()
    )


def test_not_found_page_is_friendly(client):
    response = client.get("/lieux/nexiste-pas/")
    assert response.status_code == 404
    assert "Cette page n’existe pas" in response.content.decode()


def test_map_page_points_at_the_geojson_with_the_filters(client):
    page = soup(client.get("/carte/?type=fablab"))
    assert page.find(id="full-map")["data-source"] == "/carte/lieux.geojson?type=fablab"
    assert page.find("a", href="/lieux/?type=fablab")  # the list alternative


def test_geojson_is_valid_and_has_published_places_only(client, fablab):
    PlaceFactory(name="Brouillon", status=Place.Status.DRAFT)
    PlaceFactory(name="Fermé", status=Place.Status.CLOSED)
    PlaceFactory(name="Sans position", location=None)
    response = client.get("/carte/lieux.geojson")
    assert response["Content-Type"] == "application/geo+json"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["features"]] == [
        "La Fabrique des Tanneurs"
    ]
    feature = data["features"][0]
    assert feature["type"] == "Feature"
    assert feature["geometry"] == {"type": "Point", "coordinates": [-1.6868, 48.1105]}
    assert feature["properties"]["url"] == fablab.get_absolute_url()
    assert sorted(feature["properties"]["kinds"]) == ["fablab", "tiers-lieu"]


def test_geojson_follows_the_filters(client, fablab):
    PlaceFactory(name="Un EPN", kinds=["epn"])
    data = json.loads(client.get("/carte/lieux.geojson?type=epn").content)
    assert [f["properties"]["name"] for f in data["features"]] == ["Un EPN"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content)["status"] == "ok"


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "url, bound",
    [
        ("/", 2),
        # listing: data version, count, facet values (2), facet counts (one
        # statement), page ids, the page's places and 2 prefetches; each active
        # facet validates its values once, `ou` finds its territory
        ("/lieux/", 9),
        ("/lieux/?type=epn&service=aide-aux-demarches-administratives", 11),
        ("/lieux/?q=numerique&ou=35&lat=48.11&lon=-1.68&frais=gratuit", 12),
        ("/carte/", 13),
        ("/carte/liste/?bbox=-2,47,-1,49", 7),
        ("/carte/lieux.geojson", 5),
        ("/carte/lieux.geojson?bbox=-2,47,-1,49&zoom=14", 5),
    ],
)
def test_query_count_does_not_grow_with_places(client, url, bound):
    for _ in range(2):
        PlaceFactory(services=["aide-aux-demarches-administratives"])
    queries_for(client, url)  # once-per-process look-ups (spatial reference system)
    cache.clear()  # counted without the search cache
    few = queries_for(client, url)
    for _ in range(18):
        PlaceFactory(services=["aide-aux-demarches-administratives"])
    queries_for(client, url)  # once-per-data-version look-ups (open-now slots)
    cache.clear()
    assert queries_for(client, url) == few
    assert few <= bound


def test_place_page_query_count_is_fixed(client, fablab, django_assert_max_num_queries):
    for _ in range(10):
        PlaceFactory()
    with django_assert_max_num_queries(15):
        client.get(fablab.get_absolute_url())


def test_a_place_page_names_its_producer_only_with_a_name_for_people(client):
    from places.models import Source

    Source.objects.update_or_create(
        code="conseiller-numerique",
        defaults={"name": "Conseillers numériques France Services"},
    )
    Source.objects.update_or_create(code="cr93", defaults={"name": "cr93"})
    named = PlaceFactory(source="conseiller-numerique")
    coded = PlaceFactory(source="cr93")
    page = soup(client.get(named.get_absolute_url()))
    text = page.find(class_="sources").get_text()
    assert "Source : Conseillers numériques France Services" in text
    page = soup(client.get(coded.get_absolute_url()))
    assert page.find(class_="sources") is None
    assert "cr93" not in page.find(class_="updated").get_text()
