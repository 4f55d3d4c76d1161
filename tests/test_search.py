"""The search contract of DESIGN.md, through PlaceFilter and the listing."""

import pytest
from django.contrib.gis.geos import Point
from django.http import QueryDict

from places.facets import facet_counts
from places.filters import PlaceFilter
from places.models import Place

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def names(query: str) -> list[str]:
    place_filter = PlaceFilter(QueryDict(query), queryset=Place.objects.published())
    return list(place_filter.qs.values_list("name", flat=True))


@pytest.fixture
def places():
    return {
        "media": PlaceFactory(
            name="Médiathèque des Champs Libres",
            summary="Ateliers tablettes pour les seniors.",
            services=["maitrise-des-outils-numeriques-du-quotidien"],
        ),
        "fablab": PlaceFactory(
            name="Atelier partagé du Blosne",
            kinds=["fablab"],
            summary="Imprimantes 3D et découpe laser.",
            location=Point(-1.66, 48.085, srid=4326),
        ),
        "brest": PlaceFactory(
            name="Cyber-base de Bellevue",
            commune=commune("29019"),
            postal_code="29200",
            location=Point(-4.49, 48.40, srid=4326),
            services=["aide-aux-demarches-administratives"],
        ),
        "paris": PlaceFactory(
            name="Espace numérique Oberkampf",
            commune=commune("75111"),
            postal_code="75011",
            location=Point(2.374, 48.865, srid=4326),
            services=["aide-aux-demarches-administratives"],
        ),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("q=mediatheque", ["Médiathèque des Champs Libres"]),  # accents ignored
        ("q=MÉDIATHÈQUES", ["Médiathèque des Champs Libres"]),  # case, plural (stem)
        ("q=mediatek", ["Médiathèque des Champs Libres"]),  # typo, by trigrams
        ("q=imprimante", ["Atelier partagé du Blosne"]),  # summary, singular
        ("q=fablab", ["Atelier partagé du Blosne"]),  # the kind
        ("q=demarches+brest", ["Cyber-base de Bellevue"]),  # service and town
        ("q=piscine", []),
    ],
)
def test_text_search(places, query, expected):
    assert names(query) == expected


@pytest.mark.parametrize(
    "where, expected",
    [
        ("Paris 11", "Espace numérique Oberkampf"),
        ("75011", "Espace numérique Oberkampf"),
        ("paris", "Espace numérique Oberkampf"),
        ("Finistère", "Cyber-base de Bellevue"),
        ("finistere", "Cyber-base de Bellevue"),
        ("29", "Cyber-base de Bellevue"),
        ("Île-de-France", "Espace numérique Oberkampf"),
        ("ile de france", "Espace numérique Oberkampf"),
    ],
)
def test_where(places, where, expected):
    assert names(f"ou={where}") == [expected]


def test_around_a_point_nearest_first_within_the_radius(places):
    place_filter = PlaceFilter(
        QueryDict("lat=48.111&lon=-1.679&rayon=5"), queryset=Place.objects.published()
    )
    found = list(place_filter.qs)
    assert [p.name for p in found] == [
        "Médiathèque des Champs Libres",
        "Atelier partagé du Blosne",
    ]
    assert found[0].distance.km < 0.1
    assert 2 < found[1].distance.km < 5


def test_radius_defaults_to_10_km_and_excludes_far_places(places):
    assert "Cyber-base de Bellevue" not in names("lat=48.111&lon=-1.679")
    assert names("lat=48.111&lon=-1.679&rayon=1") == ["Médiathèque des Champs Libres"]


@pytest.mark.parametrize(
    "query, first",
    [
        ("tri=nom", "Atelier partagé du Blosne"),
        ("lat=48.111&lon=-1.679&rayon=200", "Médiathèque des Champs Libres"),  # nearest
        ("lat=48.111&lon=-1.679&rayon=200&tri=nom", "Atelier partagé du Blosne"),
        ("lat=48.40&lon=-4.49&rayon=50", "Cyber-base de Bellevue"),
    ],
)
def test_sorting(places, query, first):
    assert names(query)[0] == first


def test_facets_or_within_and_across(places):
    assert set(names("service=aide-aux-demarches-administratives&ou=29")) == {
        "Cyber-base de Bellevue"
    }
    assert len(names("type=fablab&type=epn")) == 4


def test_facet_counts_ignore_their_own_facet(places):
    place_filter = PlaceFilter(
        QueryDict("type=fablab&ou=35"), queryset=Place.objects.published()
    )
    counts = facet_counts(place_filter, Place.objects.published())
    # Kinds are counted without the kind filter, within Ille-et-Vilaine.
    assert counts["type"] == {"epn": 1, "fablab": 1}
    # Services are counted for the fablabs of Ille-et-Vilaine only: none.
    assert counts["service"] == {}


def test_listing_shows_counts_and_distance(client, places):
    response = client.get("/lieux/?lat=48.111&lon=-1.679&rayon=5")
    content = response.content.decode()
    assert "à 10 m" in content or "à 0 m" in content or " m</" in content
    assert "km" in content
    assert "(1)" in content


def test_empty_results_suggest_how_to_widen(client, places):
    content = client.get(
        "/lieux/?lat=48.111&lon=-1.679&rayon=0.5&type=coworking"
    ).content
    text = content.decode()
    assert "rayon de 1 km" in text
    assert "Sans le filtre « Type de lieu »" in text


def test_territory_pages_list_children_with_counts_and_places(client, places):
    region = client.get("/territoires/R53/").content.decode()
    assert "Ille-et-Vilaine" in region and "(2)" in region and "Finistère" in region
    departement = client.get("/territoires/35/").content.decode()
    assert 'href="/territoires/35238/"' in departement and "Rennes" in departement
    commune = client.get("/territoires/35238/").content.decode()
    assert "Médiathèque des Champs Libres" in commune and 'id="resultats"' in commune
    paris = client.get(
        "/territoires/75056/"
    ).content.decode()  # the city: its arrondissements
    assert "Espace numérique Oberkampf" in paris
    assert client.get("/territoires/XYZ/").status_code == 404
    assert client.get("/territoires/R00/").status_code == 404


def test_place_page_breadcrumbs_link_to_territories(client, places):
    page = client.get(places["paris"].get_absolute_url()).content.decode()
    for url in [
        'href="/territoires/R11/"',
        'href="/territoires/75/"',
        'href="/territoires/75111/"',
    ]:
        assert url in page


def test_ambiguous_name_offers_the_other_places_of_that_name(client, places):
    content = client.get("/lieux/?ou=Saint-Denis").content.decode()
    assert "Résultats pour Saint-Denis (974)" in content  # the most populous
    assert "Saint-Denis (93)" in content and "Seine-Saint-Denis" in content
    assert names("ou=Saint-Denis (93)") == []  # no place there in this test
    assert (
        PlaceFilter(
            QueryDict("ou=Saint-Denis (93)"), queryset=Place.objects.all()
        ).qs.query
        is not None
    )


def test_few_results_are_completed_by_the_nearest_places(client, places):
    from places.models import Territory

    Territory.objects.filter(level="commune", code="35238").update(
        centre="POINT(-1.68 48.11)"
    )
    Territory.objects.filter(level="commune", code="35047").update(
        centre="POINT(-1.72 48.05)"
    )
    content = client.get("/lieux/?ou=Bruz").content.decode()  # Bruz, 8 km from Rennes
    assert "Les plus proches pour cette recherche (Bruz et alentours)" in content
    assert "Médiathèque des Champs Libres" in content
    assert "Cyber-base de Bellevue" not in content  # Brest is too far


def test_sorting_by_distance_is_offered_only_with_a_position(client):
    from bs4 import BeautifulSoup

    def sort_options(html: bytes) -> list[str]:
        select = BeautifulSoup(html, "html.parser").find("select", {"name": "tri"})
        return [option["value"] for option in select.find_all("option")]

    assert "distance" not in sort_options(client.get("/lieux/").content)
    assert "distance" in sort_options(client.get("/lieux/?lat=48.11&lon=-1.68").content)
    # Asked for anyway: said, and the default order used.
    response = client.get("/lieux/?tri=distance")
    assert response.status_code == 200
    assert "Le tri par distance demande une position" in response.content.decode()


def test_the_radius_says_its_default(client):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(
        client.get("/lieux/?lat=48.11&lon=-1.68").content, "html.parser"
    )
    radius = page.find("input", {"name": "rayon"})
    assert radius["type"] == "number" and radius["placeholder"] == "10"
    assert "10 km si vous ne dites rien" in page.get_text()
