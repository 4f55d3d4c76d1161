"""The database itself refuses bad data, whatever code writes it."""

import pytest
from django.contrib.gis.geos import Point
from django.db import DatabaseError, IntegrityError, transaction

from places.models import Place, Term

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def rejected(**fields) -> bool:
    """Whether saving a valid place changed by `fields` is refused by PostgreSQL."""
    place = PlaceFactory()
    Place.objects.filter(pk=place.pk).update()  # the valid place is accepted
    try:
        with transaction.atomic():
            Place.objects.filter(pk=place.pk).update(**fields)
    except DatabaseError:  # IntegrityError (a constraint) or DataError (a type)
        return True
    return False


@pytest.mark.parametrize(
    "fields",
    [
        {"summary": "x" * 281},
        {"status": "deleted"},
        {"phone": "01 23 45 67 89"},
        {"phone": "+33 1 23"},
        {"pivot": "12-34"},
        {"postal_code": "3500"},
        {"postal_code": ""},
        {"location": Point(200.0, 48.0, srid=4326)},
        {"location": Point(2.0, -95.0, srid=4326)},
        {"itinerant": False, "fixed_site": False},
    ],
    ids=lambda fields: ",".join(fields),
)
def test_database_rejects_invalid_place(fields):
    assert rejected(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"summary": "x" * 280},
        {"phone": "+262262123456"},
        {"pivot": "00000000000000"},
        {"location": None},
        {"location": Point(55.45, -20.88, srid=4326)},
        {"itinerant": True, "fixed_site": False},
    ],
    ids=lambda fields: ",".join(fields),
)
def test_database_accepts_valid_values(fields):
    assert not rejected(**fields)


def test_source_and_source_id_are_unique_together():
    PlaceFactory(source="hub-bretagne", source_id="42")
    PlaceFactory(source="autre-source", source_id="42")
    with pytest.raises(IntegrityError), transaction.atomic():
        PlaceFactory(source="hub-bretagne", source_id="42")


def test_places_without_source_id_do_not_collide():
    PlaceFactory(source="", source_id="")
    PlaceFactory(source="", source_id="")
    assert Place.objects.filter(source_id="").count() == 2


def test_term_vocabulary_is_checked_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Term.objects.create(
            vocabulary="colour", code="bleu", value="Bleu", label="Bleu"
        )


def test_term_value_is_unique_within_its_vocabulary():
    with pytest.raises(IntegrityError), transaction.atomic():
        Term.objects.create(
            vocabulary="fee", code="gratuit-bis", value="Gratuit", label="Gratuit"
        )


def test_slug_is_made_from_name_and_town_and_kept_unique():
    first = PlaceFactory(name="Médiathèque Café", slug="")
    second = PlaceFactory(name="Médiathèque Café", slug="")
    assert first.slug == "mediatheque-cafe-rennes"
    assert second.slug == "mediatheque-cafe-rennes-2"
    first.name = "Autre nom"
    first.save()
    first.refresh_from_db()
    assert first.slug == "mediatheque-cafe-rennes"  # stable once made


def test_location_has_a_spatial_index():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'places_place' "
            "AND indexdef ILIKE '%gist%location%'"
        )
        assert cursor.fetchone() is not None


def test_extensions_are_installed():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        names = {row[0] for row in cursor.fetchall()}
    assert {"postgis", "pg_trgm", "unaccent"} <= names


def test_arrondissement_can_be_a_place_commune():
    place = PlaceFactory(commune=commune("75111"), postal_code="75011")
    assert place.commune.departement.code == "75"
