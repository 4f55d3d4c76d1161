"""The API's own description, driven by Schemathesis (property-based, Hypothesis):
generated requests to every operation, valid and invalid, through the WSGI
application. None may give a server error, and every answer must match the
description (status code, content type, headers, body); a request the description
forbids must be refused. Examples per operation: the Hypothesis profile's
(tests/conftest.py): 100 in `make test` (400 requests over the 4 operations
that take parameters), 1,000 in `make fuzz`."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .factories import PlaceFactory, marseille_place
from .test_api import OPERATIONS

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
EXAMPLES = 1000 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 100


@pytest.fixture
def api_schema(db, settings):
    settings.API_ANONYMOUS_RATE = "100000/min"  # the limit has its own tests
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    PlaceFactory(name="Médiathèque des Lices", kinds=["epn", "fablab"])
    PlaceFactory(name="Sans horaires", opening_hours="")
    marseille_place()
    # As Django's test client does: the request must not close the test's
    # connection (its transaction holds the places above).
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application()
        )
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


@pytest.mark.parametrize("path", OPERATIONS)
def test_every_answer_matches_the_description(api_schema, path):
    operation = api_schema[path]["GET"]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    sent = []

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case):
        sent.append(case)
        case.call_and_validate(checks=CHECKS)

    run()
    # As many requests as asked (but one for an operation that takes nothing).
    assert len(sent) >= (
        EXAMPLES * 0.9 if "parameters" in operation.definition.raw else 1
    )
