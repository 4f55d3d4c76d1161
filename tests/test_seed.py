"""The benchmarks' data set (`manage.py seed_places`, used by `make bench`)."""

import pytest
from django.core.management import call_command

from places.models import Place

from .conftest import needs_shared_data

pytestmark = [pytest.mark.django_db, needs_shared_data]


def test_seeded_places_are_complete_and_searchable():
    call_command("seed_places", count=25, verbosity=0)
    places = Place.objects.filter(source="seed")
    assert places.count() == 25
    assert not places.filter(kind_ids=[]).exists()
    assert places.filter(search_vector__isnull=False).count() == 25
    call_command("seed_places", count=30, top_up=True, verbosity=0)
    assert places.count() == 30
