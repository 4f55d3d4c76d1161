"""Every public endpoint, driven with generated requests (property-based, Hypothesis):
odd query parameters, path segments, form fields and headers never give a server
error. How many per endpoint is the Hypothesis profile's (tests/conftest.py): a
quick run in `make test`, 1,000 each in `make fuzz`."""

from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

# One client for all: a new one loads the middleware again (WhiteNoise scans the
# static files), which would cost more than the request itself.
CLIENT = Client()

PARAMS = [
    "q", "ou", "lat", "lon", "rayon", "type", "service", "public", "frais",
    "accompagnement", "label", "equipement", "ouvert", "tri", "page", "bbox", "zoom",
    "embed", "p", "format", "value",
]  # fmt: skip
odd_values = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=5).map(
        lambda numbers: ",".join(map(str, numbers))
    ),
    st.sampled_from(["", "'; DROP TABLE places_place; --", "<script>x</script>", "%00",
                     "fablab", "epn", "35", "2A", "75011", "nom", "distance", "1", "-1",
                     "1e308", "0x10", "Saint-Denis", "\u202e\ufeff", "a" * 5000,
                     "-5.5,41.2,9.8,51.2", "-180,-90,180,90", "1,1,1,1", "NaN,0,1,2"]),
)  # fmt: skip
queries = st.lists(st.tuples(st.sampled_from(PARAMS), odd_values), max_size=6)
# Path segments: real ones, near misses and anything at all (quoted into the URL).
SLUG = "mediatheque-des-lices-rennes"
segments = st.one_of(
    st.sampled_from([SLUG, SLUG.upper(), SLUG + "-", "35", "2A", "R53", "E35",
                     "75056", "200039865",
                     "places", "territories", "0", "..", "%2e%2e", "35\x00"]),
    st.text(min_size=1, max_size=120),
    st.from_regex(r"[-a-zA-Z0-9_]{1,80}", fullmatch=True),
)  # fmt: skip
headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_IF_NONE_MATCH": st.one_of(st.text(max_size=80), st.just('W/"x", *')),
        "HTTP_IF_MODIFIED_SINCE": st.text(max_size=40),
        "HTTP_ACCEPT_ENCODING": st.sampled_from(["gzip", "br, gzip;q=0", "*", ""]),
        "HTTP_ACCEPT_LANGUAGE": st.text(max_size=40),
        "HTTP_RANGE": st.text(max_size=30),
    },
)
ips = st.ip_addresses(v=4).map(str)
logins = st.tuples(st.text(max_size=200), st.text(max_size=200))
suggestion = st.fixed_dictionaries(
    {},
    optional={
        "field": st.one_of(
            st.sampled_from(["name", "address", "opening_hours", "phone", "emails",
                             "websites", "closed", "other"]),
            st.text(max_size=30),
        ),
        "proposed_value": st.one_of(
            st.text(max_size=600),
            st.sampled_from(["Mo-Fr 09:00-18:00", "24/7", "Mo-Fr 25:00-26:00", "06",
                             "+33 2 99 00 00 00", "a@b", "https://x", "javascript:1"]),
        ),
        "comment": st.text(max_size=1200),
        "email": st.text(max_size=300),
        "website": st.text(max_size=20),
    },
)  # fmt: skip

# A missing place proposed (/lieux/proposer/): each field anything, or near a real one.
proposal = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=300),
        "kind": st.one_of(st.sampled_from(["epn", "fablab", ""]), st.text(max_size=20)),
        "address": st.text(max_size=300),
        "town": st.one_of(
            st.sampled_from(["35000 Rennes", "Rennes", "35000", "75011 Paris", "Nicee",
                             "06000 Nice", "2A", "99999", "Bretagne"]),
            st.text(max_size=150),
        ),
        "phone": st.text(max_size=40),
        "contact_email": st.text(max_size=300),
        "url": st.text(max_size=600),
        "opening_hours": st.one_of(
            st.sampled_from(["Mo-Fr 09:00-12:00", "lundi 9h-12h", "Mo 25:00-26:00",
                             "du lundi au vendredi de 9h à 12h", "24/7"]),
            st.text(max_size=600),
        ),
        "services": st.lists(st.text(max_size=60), max_size=4),
        "comment": st.text(max_size=1200),
        "email": st.text(max_size=300),
        "website": st.text(max_size=20),
    },
)  # fmt: skip

# Every public endpoint: (method, path template).
ENDPOINTS = [
    ("GET", "/"),
    ("GET", "/lieux/"),
    ("GET", "/lieux/{segment}/"),
    ("GET", "/lieux/{segment}/signaler/"),
    ("POST", "/lieux/{segment}/signaler/"),
    ("GET", "/lieux/{segment}/signaler/merci/"),
    ("GET", "/lieux/proposer/"),
    ("POST", "/lieux/proposer/"),
    ("GET", "/horaires/apercu/"),
    ("GET", "/en/lieux/"),
    ("GET", "/territoires/{segment}/"),
    ("GET", "/carte/"),
    ("GET", "/carte/liste/"),
    ("GET", "/carte/lieux.geojson"),
    ("GET", "/export/lieux.csv"),
    ("GET", "/export/lieux.json"),
    ("GET", "/export/lieux.geojson"),
    ("GET", "/sitemap.xml"),
    ("GET", "/sitemap-{segment}.xml"),
    ("GET", "/robots.txt"),
    ("GET", "/healthz"),
    ("GET", "/admin/login/"),
    ("POST", "/admin/login/"),
]


@pytest.fixture
def some_places(db):
    PlaceFactory(name="Médiathèque des Lices", kinds=["epn"])
    PlaceFactory(name="Fablab", kinds=["fablab"])


@pytest.fixture
def fast_passwords(settings):
    """Logins with made-up accounts still hash the password (Django evens out the
    time); a fast hasher keeps 1,000 attempts quick. django-axes still counts them."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_request_gives_a_server_error(
    some_places, fast_passwords, method, template, data
):
    """Only what the endpoint reads is drawn: generating is most of the time."""
    segment = data.draw(segments) if "{segment}" in template else ""
    path = template.format(segment=quote(segment, safe=""))
    extra = {"REMOTE_ADDR": data.draw(ips)}
    if method == "GET":
        sent = data.draw(queries)
        response = CLIENT.get(path, sent, **extra, **data.draw(headers))
    elif path == "/admin/login/":
        sent = dict(zip(("username", "password"), data.draw(logins), strict=True))
        response = CLIENT.post(path, sent, **extra)
    elif path == "/lieux/proposer/":
        sent = data.draw(proposal)
        response = CLIENT.post(path, sent, **extra)
    else:
        sent = data.draw(suggestion)
        response = CLIENT.post(path, sent, **extra)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert response.status_code < 500, (method, path, sent)
