"""Data the database derives and keeps (facet arrays, search vectors): right
whoever writes, Django or SQL."""

import pytest
from django.db import connection

from places.models import Kind, Place, Term

from .conftest import needs_shared_data
from .factories import PlaceFactory, standard_file

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
    from django.core.management import call_command

    from places.exchange.importer import import_places

    path = standard_file(
        tmp_path / "lieux.csv",
        id="v-1", nom="Le Cyber de la Gare", typologie="TIERS_LIEUX",
        dispositif_programmes_nationaux="Aidants Connect",
        presentation_resume="Ateliers", horaires="Mo 09:00-12:00",
    )  # fmt: skip
    assert import_places(path).created == 1
    call_command("seed_places", count=20, verbosity=0)
    assert Place.objects.count() == 21
    assert Place.objects.filter(search_vector__isnull=True).count() == 0
    assert vectors_differing_from_the_trigger() == 0


def test_every_trigger_on_the_places_tables_is_declared_on_a_model():
    """The triggers are the ones places/models/triggers.py declares (django-pgtrigger,
    tracked by makemigrations), each installed, and no other."""
    import pgtrigger

    from places.models.place import LINK_PROXIES

    declared = {
        (model._meta.db_table, trigger.get_pgid(model))
        for model in [Place, *LINK_PROXIES]
        for trigger in model._meta.triggers
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'places_place%%'"
        )
        installed = set(cursor.fetchall())
    assert installed == declared and len(declared) == 3 + 2 * len(LINK_PROXIES)
    for model, trigger in pgtrigger.registered():
        if model._meta.app_label == "places":
            assert trigger.get_installation_status(model)[0] == "INSTALLED"


def place_rows_updated() -> int:
    """Rows of places updated so far in this transaction (PostgreSQL's statistics)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'places_place'"
        )
        return cursor.fetchone()[0]


def test_an_import_writes_each_new_place_once_and_indexes_it(tmp_path):
    """New places are inserted with their search vector and arrays: no update after
    (which left a dead copy of every new row, half the table after a first import)."""
    from places.exchange.importer import import_places

    from .test_import import v1_row, write_csv

    before = place_rows_updated()
    rows = [
        v1_row(id=f"l{n}", nom=f"Atelier numérique {n}", adresse=f"{n} rue de Brest")
        for n in range(5)
    ]
    report = import_places(write_csv(tmp_path / "new.csv", rows))
    assert report.created == 5
    assert place_rows_updated() == before
    assert vectors_differing_from_the_trigger() == 0
    assert (
        Place.objects.filter(search_vector="atelier", term_ids__len__gt=0).count() == 5
    )


def ignored_triggers() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore')")
        return cursor.fetchone()[0]


def test_every_connection_defines_the_setting_triggers_check_first():
    """Each declared trigger first reads `pgtrigger.ignore`; undefined, that read
    raises and catches an error per row (0.55 ms per row and trigger in a long
    transaction: bulk writes were 5 times slower). It stays defined after
    `pgtrigger.ignore()` has used it."""
    import pgtrigger

    assert ignored_triggers() == "{}"
    place = PlaceFactory()
    with pgtrigger.ignore("places.Place:was_public"):
        Place.objects.filter(pk=place.pk).update(name="Autre nom")
    assert ignored_triggers() == "{}"
