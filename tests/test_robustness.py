"""No query parameter, however odd, gives a server error (property-based)."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

PARAMS = [
    "q", "ou", "lat", "lon", "rayon", "type", "service", "public", "frais",
    "accompagnement", "label", "equipement", "ouvert", "tri", "page", "bbox", "zoom",
]  # fmt: skip
ENDPOINTS = ["/lieux/", "/carte/", "/carte/lieux.geojson", "/export/lieux.csv"]
odd_values = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "'; DROP TABLE places_place; --", "<script>x</script>", "%00",
                     "fablab", "epn", "35", "2A", "75011", "nom", "distance", "1", "-1",
                     "1e308", "0x10", "Saint-Denis", "\u202e\ufeff", "a" * 5000]),
)  # fmt: skip
queries = st.lists(st.tuples(st.sampled_from(PARAMS), odd_values), max_size=6)


@pytest.fixture
def some_places(db):
    PlaceFactory(name="Médiathèque", kinds=["epn"])
    PlaceFactory(name="Fablab", kinds=["fablab"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(params=queries)
def test_no_parameter_gives_a_server_error(some_places, endpoint, params):
    response = Client().get(endpoint, params)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    assert response.status_code < 500, (endpoint, params)
