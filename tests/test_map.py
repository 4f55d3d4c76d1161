"""Map data (/carte/lieux.geojson): clusters zoomed out, places zoomed in, bounded
responses, HTTP caching; the list of the places in view; the embed view."""

import gzip
import json

import pytest
from django.contrib.gis.geos import Point

from places.maps import MAX_CELLS, cell_size

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db

RENNES_BOX = "-1.75,48.05,-1.60,48.15"


@pytest.fixture
def rennes():
    return [
        PlaceFactory(
            name="Fabrique", kinds=["fablab"], location=Point(-1.6868, 48.1105)
        ),
        PlaceFactory(name="Colombier", kinds=["epn"], location=Point(-1.6790, 48.1050)),
        PlaceFactory(
            name="Cowork", kinds=["coworking"], location=Point(-1.6700, 48.1150)
        ),
    ]


def geojson(client, **params) -> dict:
    response = client.get("/carte/lieux.geojson", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def test_few_places_in_view_come_one_by_one_with_compact_properties(client, rennes):
    data = geojson(client, bbox=RENNES_BOX, zoom=13)
    assert (data["count"], data["clustered"]) == (3, False)
    fabrique = next(
        f for f in data["features"] if f["properties"]["name"] == "Fabrique"
    )
    assert fabrique["geometry"]["coordinates"] == [-1.6868, 48.1105]
    assert fabrique["properties"]["kinds"] == ["fablab"]
    assert fabrique["properties"]["url"] == rennes[0].get_absolute_url()
    assert fabrique["properties"]["open"] in (True, False)  # it has hours
    assert set(fabrique["properties"]) == {"name", "url", "kinds", "open"}


def test_many_places_in_view_come_as_clusters_with_counts(client, rennes, settings):
    settings.MAP_MAX_PLACES = 2
    far = PlaceFactory(
        name="Brest", commune=commune("29019"), location=Point(-4.4861, 48.3904)
    )
    data = geojson(client, bbox="-5.5,41.2,9.8,51.2", zoom=6)
    assert (data["count"], data["clustered"]) == (4, True)
    clusters = [f for f in data["features"] if "count" in f["properties"]]
    singles = [f for f in data["features"] if "name" in f["properties"]]
    # Rennes' three places share a cell; Brest, alone in its cell, is itself.
    assert [c["properties"]["count"] for c in clusters] == [3]
    west, south, east, north = clusters[0]["properties"]["bounds"]
    assert (west, south, east, north) == (-1.6868, 48.105, -1.67, 48.115)
    assert [s["properties"]["name"] for s in singles] == [far.name]
    # Zoomed in on the cluster: the grid is finer, each place in its own cell.
    zoomed = geojson(client, bbox=RENNES_BOX, zoom=15)
    assert zoomed["clustered"] and len(zoomed["features"]) == 3
    assert all("name" in f["properties"] for f in zoomed["features"])


def test_the_map_data_follows_the_filters(client, rennes):
    data = geojson(client, bbox=RENNES_BOX, zoom=13, type="epn")
    assert [f["properties"]["name"] for f in data["features"]] == ["Colombier"]


def test_the_number_of_cells_is_bounded_whatever_the_box_and_zoom():
    assert cell_size((-180, -90, 180, 90), 22) == 360 / MAX_CELLS
    screen = (-1.70, 48.10, -1.68, 48.11)  # about 930 × 700 pixels at zoom 16
    assert cell_size(screen, 16) == pytest.approx(360 / 2**16 / 3)


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "10,10,0,0"},  # west of east reversed
        {"bbox": "-200,0,0,10"},
        {"bbox": "nan,0,1,1"},
        {"zoom": "-3"},
        {"zoom": "99"},
        {"zoom": "abc"},
    ],
)
def test_odd_map_parameters_are_ignored(client, rennes, params):
    assert geojson(client, **params)["count"] == 3


def test_map_data_is_compressed_and_cacheable(client, rennes):
    response = client.get(
        "/carte/lieux.geojson", {"bbox": RENNES_BOX}, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))["count"] == 3
    assert (
        "public" in response["Cache-Control"]
        and "max-age=60" in response["Cache-Control"]
    )
    again = client.get(
        "/carte/lieux.geojson",
        {"bbox": RENNES_BOX},
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert again.status_code == 304


def test_the_list_beside_the_map_shows_the_places_in_view(client, rennes):
    html = client.get("/carte/liste/", {"bbox": "-1.672,48.114,-1.668,48.116"}).content
    assert b'data-count="1"' in html and b"Cowork" in html and b"Fabrique" not in html
    assert b'href="/lieux/?bbox=' in html  # the same places as a full listing


def test_only_the_embed_view_may_be_framed(client, rennes):
    page = client.get("/carte/", {"type": "fablab"})
    assert page["X-Frame-Options"] == "DENY"
    embed = client.get("/carte/", {"type": "fablab", "embed": "1"})
    assert "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    html = embed.content.decode()
    assert 'id="filtres"' not in html and "<header" not in html
    assert "/carte/lieux.geojson?type=fablab" in html
    # The map page offers the code to embed the same view.
    assert "embed=1&amp;amp;type=fablab" in page.content.decode()


def test_the_map_and_its_list_count_the_same_places_all_in_view(client, settings):
    """The map counted the places of a box widened to whole grid cells ("18 lieux
    sur la carte" when the list beside it showed 11) and drew markers out of view."""
    for n in range(64):  # a grid of places over Rennes, 500 m apart
        lon, lat = -1.72 + (n % 8) * 0.0068, 48.09 + (n // 8) * 0.0045
        PlaceFactory(name=f"Lieu {n}", location=Point(lon, lat, srid=4326))
    views = [
        ("-1.70,48.09,-1.66,48.12", 14),
        ("-1.695,48.102,-1.671,48.117", 15),
        ("-1.9,48.0,-1.5,48.3", 10),
        ("-1.6843,48.1061,-1.6747,48.1139", 17),
    ]
    for max_places in (300, 5):  # places one by one, or clusters
        settings.MAP_MAX_PLACES = max_places
        for bbox, zoom in views:
            west, south, east, north = map(float, bbox.split(","))
            data = geojson(client, bbox=bbox, zoom=zoom)
            listed = client.get("/carte/liste/", {"bbox": bbox, "zoom": zoom})
            assert f'data-count="{data["count"]}"' in listed.content.decode(), bbox
            counts = [f["properties"].get("count", 1) for f in data["features"]]
            assert data["count"] == sum(counts), bbox
            for feature in data["features"]:
                lon, lat = feature["geometry"]["coordinates"]
                assert west <= lon <= east and south <= lat <= north, feature
