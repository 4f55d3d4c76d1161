"""Street addresses in `ou` (or `q`), through a geocoder speaking the national address
API's protocol. The real API cannot be reached from the tests: a local HTTP server
answers as it does (`GET /search/?q=…&limit=1` → a GeoJSON FeatureCollection)."""

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from bs4 import BeautifulSoup
from django.contrib.gis.geos import Point

from places import geocoding

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db

PAIX = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [-1.6795, 48.1112]},
    "properties": {
        "label": "12 Rue de la Paix 35000 Rennes",
        "score": 0.93,
        "type": "housenumber",
        "citycode": "35238",
        "postcode": "35000",
        "city": "Rennes",
    },
}


class AddressApi(BaseHTTPRequestHandler):
    answer: bytes = b""
    status = 200
    asked: list[dict] = []

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        type(self).asked.append(
            {"path": url.path, **dict(urllib.parse.parse_qsl(url.query))}
        )
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(self.answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def address_api(settings):
    """The local geocoder; `answer(...)` sets what it says next."""
    handler = type("Handler", (AddressApi,), {"asked": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.GEOCODER_URL = f"http://127.0.0.1:{server.server_port}/search/"

    def answer(features=None, raw=None, status=200):
        handler.status = status
        handler.answer = (
            raw
            if raw is not None
            else json.dumps(
                {"type": "FeatureCollection", "features": features or []}
            ).encode()
        )

    handler.answer_with = answer
    yield handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def rennes():
    near = PlaceFactory(name="Près de la rue de la Paix", location=Point(-1.68, 48.111))
    far = PlaceFactory(
        name="Au sud de Rennes", location=Point(-1.675, 48.085)
    )  # 3 km away
    other = PlaceFactory(
        name="Saint-Jacques",
        commune=commune("35281"),
        postal_code="35136",
        location=Point(-1.70, 48.09),
    )
    return near, far, other


def listing(client, query: str) -> BeautifulSoup:
    response = client.get("/lieux/", {"ou": query} if "=" not in query else None)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def names(html: BeautifulSoup) -> list[str]:
    return [h.get_text(strip=True) for h in html.select("#resultats .card__title")]


def test_an_address_is_searched_around_its_point(client, address_api, rennes):
    address_api.answer_with([PAIX])
    html = listing(client, "12 rue de la Paix Rennes")
    assert html.select_one("h1").get_text(" ", strip=True) == (
        "Lieux autour de 12 Rue de la Paix 35000 Rennes"
    )
    # Nearest first, the other commune included (around, not within the town).
    assert names(html) == [
        "Près de la rue de la Paix",
        "Saint-Jacques",
        "Au sud de Rennes",
    ]
    assert address_api.asked == [
        {
            "path": "/search/",
            "q": "12 rue de la Paix Rennes",
            "limit": "1",
            "autocomplete": "0",
        }
    ]
    listing(client, "12 rue de la Paix Rennes")  # asked again: remembered
    assert len(address_api.asked) == 1


def test_an_address_typed_with_a_need(client, address_api, rennes):
    address_api.answer_with([PAIX])
    response = client.get("/lieux/", {"q": "wifi 12 rue de la Paix Rennes"})
    html = BeautifulSoup(response.content, "html.parser")
    assert "12 Rue de la Paix 35000 Rennes" in html.select_one(".understood").get_text()
    assert address_api.asked[0]["q"] == "12 rue de la Paix Rennes"


@pytest.mark.parametrize(
    "setup, message",
    [
        (
            lambda api: api.answer_with(raw=b"<html>Bad gateway</html>", status=502),
            "ne répond pas",
        ),
        (lambda api: api.answer_with(raw=b"{not json"), "ne répond pas"),
        (
            lambda api: api.answer_with(raw=b'{"features": [{"geometry": null}]}'),
            "ne répond pas",
        ),
        (lambda api: api.answer_with([]), "Adresse introuvable"),
        (
            lambda api: api.answer_with(
                [{**PAIX, "properties": {**PAIX["properties"], "score": 0.2}}]
            ),
            "Adresse introuvable",
        ),
    ],
)
def test_without_a_sure_point_the_commune_is_searched_and_it_is_said(
    client, address_api, rennes, setup, message
):
    setup(address_api)
    html = listing(client, "12 rue de la Paix 35000 Rennes")
    assert message in html.select_one(".notice--warning").get_text()
    assert sorted(names(html)) == ["Au sud de Rennes", "Près de la rue de la Paix"]


def test_an_unreachable_geocoder_falls_back_and_is_not_asked_again(
    client, settings, rennes
):
    settings.GEOCODER_URL = "http://127.0.0.1:9/search/"  # nothing listens there
    html = listing(client, "12 rue de la Paix Rennes")
    assert "ne répond pas" in html.select_one(".notice--warning").get_text()
    assert len(names(html)) == 2
    with pytest.raises(geocoding.GeocoderUnavailable, match="less than a minute"):
        geocoding.locate("3 rue de Brest Rennes")


def test_no_geocoder_configured_falls_back_to_the_commune(client, settings, rennes):
    settings.GEOCODER_URL = ""
    html = listing(client, "12 rue de la Paix Rennes")
    assert len(names(html)) == 2 and html.select_one(".notice--warning")


def test_the_api_gives_distances_from_the_address(client, address_api, rennes):
    address_api.answer_with([PAIX])
    response = client.get(
        "/api/v1/lieux/", {"ou": "12 rue de la Paix Rennes", "rayon": 2}
    )
    assert response.status_code == 200
    found = {p["nom"]: p["distance_m"] for p in response.json()["results"]}
    assert set(found) == {"Près de la rue de la Paix"}
    assert found["Près de la rue de la Paix"] < 100


def test_a_fallback_is_not_kept_once_the_geocoder_answers_again(
    client, settings, address_api, rennes
):
    """Pages and searches are cached: a stopgap (the commune, because the geocoder
    did not answer) must not outlive the outage."""
    from django.core.cache import cache

    settings.PAGE_CACHE_SECONDS = 600
    address_api.answer_with(raw=b"oops", status=503)
    stopgap = listing(client, "12 rue de la Paix Rennes")
    assert "ne répond pas" in stopgap.select_one(".notice--warning").get_text()
    address_api.answer_with([PAIX])
    cache.delete(f"geocoder-down:{settings.GEOCODER_URL}")  # a minute later
    html = listing(client, "12 rue de la Paix Rennes")
    assert html.select_one(".notice--warning") is None
    assert names(html)[0] == "Près de la rue de la Paix" and len(names(html)) == 3
