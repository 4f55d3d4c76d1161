"""Data the database derives and keeps (facet arrays, the data version) and the
search cache keyed on that version: a change is seen at once, whoever writes it."""

import pytest
from django.db import connection, transaction

from places.caching import data_version
from places.models import Kind, Place, Term

from .conftest import needs_shared_data
from .factories import PlaceFactory

pytestmark = pytest.mark.django_db


def stored_arrays(place: Place) -> tuple[list[int], list[int]]:
    return tuple(
        Place.objects.filter(pk=place.pk).values_list("kind_ids", "term_ids").get()
    )


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)


def test_facet_arrays_follow_every_kind_of_link_change():
    place = PlaceFactory(
        kinds=["fablab"], services=["acces-internet-et-materiel-informatique"]
    )
    free = term("fee", "gratuit")
    place.fees.add(free)
    place.equipment.add(*Term.objects.filter(vocabulary="equipment")[:2])
    kinds, terms = stored_arrays(place)
    assert kinds == [Kind.objects.get(code="fablab").pk]
    expected = {
        term("service", "acces-internet-et-materiel-informatique").pk,
        free.pk,
        *Term.objects.filter(vocabulary="equipment")[:2].values_list("pk", flat=True),
    }
    assert set(terms) == expected and terms == sorted(terms)

    place.fees.remove(free)
    place.kinds.set(Kind.objects.filter(code__in=["epn", "coworking"]))
    kinds, terms = stored_arrays(place)
    assert set(kinds) == set(
        Kind.objects.filter(code__in=["epn", "coworking"]).values_list("pk", flat=True)
    )
    assert free.pk not in terms


def test_a_stale_copy_saved_by_django_does_not_overwrite_the_arrays():
    place = PlaceFactory(kinds=["epn"])
    stale = Place.objects.get(pk=place.pk)  # loaded before the link change
    place.fees.add(term("fee", "gratuit"))
    stale.name = "Nouveau nom"
    stale.save()
    assert term("fee", "gratuit").pk in stored_arrays(place)[1]


def test_facet_filter_and_counts_read_the_arrays():
    free = term("fee", "gratuit")
    free_place, _other = PlaceFactory.create_batch(2, kinds=["epn"])
    free_place.fees.add(free)
    PlaceFactory(kinds=["fablab"])
    assert list(Place.objects.published().with_terms([free])) == [free_place]
    epn = Kind.objects.filter(code="epn")
    assert Place.objects.published().of_kinds(epn).count() == 2


def test_the_version_moves_on_every_write_even_in_sql():
    before = data_version()
    place = PlaceFactory()
    after_create = data_version()
    assert after_create > before
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE places_place SET summary = 'x' WHERE id = %s", [place.pk]
        )
    assert data_version() > after_create
    moved = data_version()
    place.services.add(Term.objects.filter(vocabulary="service").first())
    assert data_version() > moved
    still = data_version()
    Place.objects.filter(pk=place.pk).exists()  # a read moves nothing
    assert data_version() == still


@pytest.mark.django_db(transaction=True)
def test_the_version_moves_again_when_a_transaction_commits():
    """A search cached while a long import runs (old data, new number) must not
    outlive the import: the number moves once more at commit."""
    with transaction.atomic():
        Kind.objects.create(code="essai", label="Essai", label_plural="Essais")
        during = data_version()
    assert data_version() > during


def test_a_cached_search_shows_a_change_at_once(client):
    PlaceFactory(name="Atelier Zéphyr")
    assert client.get("/lieux/", {"q": "zephyr"}).context["page"].paginator.count == 1
    # Same search again: served from the cache.
    assert client.get("/lieux/", {"q": "zephyr"}).context["page"].paginator.count == 1
    PlaceFactory(name="Zéphyr numérique")
    response = client.get("/lieux/", {"q": "zephyr"})
    assert response.context["page"].paginator.count == 2
    assert "Zéphyr numérique" in response.content.decode()
    # A withdrawn place leaves the cached search, facet counts included.
    Place.objects.filter(name="Atelier Zéphyr").update(status=Place.Status.DRAFT)
    response = client.get("/lieux/", {"q": "zephyr"})
    assert response.context["page"].paginator.count == 1
    assert "Atelier Zéphyr" not in response.content.decode()


def test_the_linked_fields_list_is_every_many_to_many_field():
    from places.models import FACET_TERM_FIELDS, LINKED_FIELDS

    assert set(LINKED_FIELDS) == {f.name for f in Place._meta.many_to_many}
    assert set(FACET_TERM_FIELDS) <= set(LINKED_FIELDS)


def vectors_differing_from_the_trigger() -> int:
    """Places whose stored search vector is not what the database's own definition
    (`places_place_vector`, used by the triggers) gives."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM places_place p "
            "WHERE search_vector IS DISTINCT FROM places_place_vector(p)"
        )
        return cursor.fetchone()[0]


@needs_shared_data  # seed_places places seeds at commune centres
def test_imported_and_seeded_places_are_indexed_by_the_one_definition(tmp_path):
    """The importer and seed_places defer the triggers and index what they wrote at
    the end, with the triggers' function: the seeded places once indexed only
    "kind town", and the importer built its own text."""
    import csv

    from django.core.management import call_command

    from places.exchange.importer import import_places
    from places.exchange.standard import COLUMNS

    path = tmp_path / "lieux.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerow(
            dict.fromkeys(COLUMNS, "")
            | {
                "id": "v-1", "nom": "Le Cyber de la Gare", "commune": "Rennes",
                "code_postal": "35000", "code_insee": "35238", "adresse": "1 place",
                "typologie": "TIERS_LIEUX", "source": "test", "date_maj": "2024-04-02",
                "services": "Loisirs et créations numériques",
                "dispositif_programmes_nationaux": "Aidants Connect",
                "presentation_resume": "Ateliers", "horaires": "Mo 09:00-12:00",
            }
        )  # fmt: skip
    assert import_places(str(path)).created == 1
    call_command("seed_places", count=20, verbosity=0)
    assert Place.objects.count() == 21
    assert Place.objects.filter(search_vector__isnull=True).count() == 0
    assert vectors_differing_from_the_trigger() == 0
