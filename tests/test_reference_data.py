"""Reference vocabularies, territories and demo places load fully and idempotently."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from places import hours
from places.exchange.standard import VOCABULARY_COLUMNS
from places.models import Kind, Place, Term, Territory
from places.territories import TerritoryDataError, load_territories

from .conftest import (
    CENTRES_CSV,
    DEMO,
    REFERENCE,
    SHARED_DATA,
    load_demo,
    needs_shared_data,
)

pytestmark = pytest.mark.django_db

STANDARD = SHARED_DATA.parent / "standard" / "enums-v1.0.2.json"


@pytest.mark.skipif(not STANDARD.exists(), reason=f"{STANDARD} not found")
def test_vocabularies_are_the_standards_exact_values():
    fields = {f["name"]: f for f in json.loads(STANDARD.read_text())["fields"]}
    for field_name, (vocabulary, _) in VOCABULARY_COLUMNS.items():
        if vocabulary == "structure_type":
            continue  # codes from the typologies file, not the enums
        stored = list(
            Term.objects.filter(vocabulary=vocabulary)
            .order_by("position")
            .values_list("value", flat=True)
        )
        assert stored == fields[field_name]["enum"], field_name


def test_quirky_spellings_are_kept_verbatim():
    assert Term.objects.filter(
        vocabulary="label", value="Étapes numériques(La Poste)"
    ).exists()
    assert Term.objects.filter(
        vocabulary="programme", value="Point d'accès numérique CAF"
    ).exists()


def test_kinds_and_equipment_are_loaded():
    assert set(Kind.objects.values_list("code", flat=True)) == {
        "epn",
        "coworking",
        "fablab",
        "tiers-lieu",
    }
    assert Kind.objects.get(code="fablab").structure_type.value == "FABLAB"
    equipment = set(
        Term.objects.filter(vocabulary="equipment").values_list("code", flat=True)
    )
    assert {
        "wifi",
        "ordinateurs",
        "imprimante-3d",
        "decoupe-laser",
        "fraiseuse-cnc",
    } <= equipment


def test_reference_fixture_loads_twice_without_duplicates():
    before = Term.objects.count()
    call_command("loaddata", REFERENCE, verbosity=0)
    assert Term.objects.count() == before


def test_territory_counts_match_the_official_geography():
    counts = {
        level: Territory.objects.filter(level=level).count()
        for level in ["region", "departement", "epci", "commune", "arrondissement"]
    }
    assert counts["region"] >= 18
    assert counts["departement"] >= 101
    assert 1200 < counts["epci"] < 1300
    assert 34_900 < counts["commune"] < 35_100
    assert counts["arrondissement"] == 45  # Paris 20, Marseille 16, Lyon 9


def test_territories_have_parents_postal_codes_and_population():
    rennes = Territory.objects.get(level="commune", code="35238")
    assert rennes.name == "Rennes"
    assert "35000" in rennes.postal_codes
    assert rennes.population > 200_000
    assert rennes.parent.code == "35"
    assert rennes.parent.level == "departement"
    assert rennes.parent.parent.name == "Bretagne"
    assert rennes.epci.level == "epci"
    assert (rennes.departement_code, rennes.region_code) == ("35", "53")
    marseille_11 = Territory.objects.get(level="arrondissement", code="13211")
    assert marseille_11.parent.code == "13055"
    assert marseille_11.postal_codes == ["13011"]
    assert Territory.objects.get(level="departement", code="2A").parent.name == "Corse"
    assert (
        Territory.objects.get(level="departement", code="974").parent.name
        == "La Réunion"
    )


@needs_shared_data
def test_commune_centres_are_loaded():
    rennes = Territory.objects.get(level="commune", code="35238")
    assert rennes.centre is not None
    assert rennes.centre.x == pytest.approx(-1.68, abs=0.05)  # longitude
    assert rennes.centre.y == pytest.approx(48.11, abs=0.05)  # latitude


def test_reloading_territories_changes_nothing():
    report = load_territories(
        settings.TERRITORIES_DATA_DIR,
        str(CENTRES_CSV) if CENTRES_CSV.exists() else None,
    )
    assert (report.created, report.updated) == (0, 0)
    assert report.unchanged == Territory.objects.count()


def test_reloading_without_centres_keeps_known_centres():
    Territory.objects.filter(level="commune", code="35238").update(
        centre="POINT(-1.7 48.1)"
    )
    load_territories(settings.TERRITORIES_DATA_DIR)
    assert Territory.objects.get(level="commune", code="35238").centre is not None


def test_changed_territory_is_updated(tmp_path):
    Territory.objects.filter(level="commune", code="35238").update(name="Renne")
    report = load_territories(settings.TERRITORIES_DATA_DIR)
    assert report.updated == 1
    assert Territory.objects.get(level="commune", code="35238").name == "Rennes"


def test_centres_file_reports_bad_rows_and_keeps_good_ones(tmp_path):
    centres = tmp_path / "centres.csv"
    centres.write_text(
        "code_insee;latitude;longitude\n"
        "35238;48,1;-1,68\n"
        "29019;not-a-number;-4.5\n"
        "56121;148.0;-3.3\n"
        "22278;;\n",
        encoding="utf-8",
    )
    report = load_territories(settings.TERRITORIES_DATA_DIR, str(centres))
    assert report.centres == 1
    assert [e.split(":")[0] for e in report.centre_errors] == ["line 3", "line 4"]
    assert Territory.objects.get(level="commune", code="35238").centre.coords == (
        -1.68,
        48.1,
    )


def test_centres_file_without_the_columns_is_refused_and_changes_nothing(tmp_path):
    centres = tmp_path / "centres.csv"
    centres.write_text("insee,lat,lon\n35238,1,1\n", encoding="utf-8")
    Territory.objects.filter(code="35238").update(name="Changed")
    with pytest.raises(TerritoryDataError, match="code_insee"):
        load_territories(settings.TERRITORIES_DATA_DIR, str(centres))
    assert Territory.objects.get(level="commune", code="35238").name == "Changed"


def test_missing_npm_package_is_a_clear_error(tmp_path):
    with pytest.raises(TerritoryDataError, match="npm"):
        load_territories(Path(tmp_path))


def test_demo_places_cover_kinds_regions_and_overseas():
    load_demo()
    published = Place.objects.published()
    assert published.count() == 60
    drafts = Place.objects.filter(status="draft")
    assert drafts.count() == 2 and not drafts.filter(was_public=True).exists()
    assert Place.objects.filter(status="closed", was_public=True).count() == 1
    regions = set(published.values_list("commune__region_code", flat=True))
    assert len(regions) >= 6
    assert regions & {"01", "02", "03", "04", "06"}, "an overseas région"
    assert set(published.values_list("kinds__code", flat=True)) == {
        "epn",
        "coworking",
        "fablab",
        "tiers-lieu",
    }
    for place in published.prefetch_related("services", "equipment"):
        hours.validate_opening_hours(place.opening_hours)  # raises when invalid
        assert place.services.all() and place.equipment.all(), place.name
        assert all(email.endswith(".example.org") for email in place.emails)
        assert place.location is not None


def test_demo_places_load_twice_without_duplicates():
    load_demo()
    count = Place.objects.count()
    load_demo()
    assert Place.objects.count() == count


def test_the_demo_file_imports_every_row_and_every_value():
    """fixtures/demo_places.csv is a file of the standard (v1.0.2) with our two
    extension columns: each row is imported, each value known, the kinds and the
    equipment it names are the places'."""
    from places.exchange.importer import import_places
    from places.exchange.standard import COLUMNS, EXTENSION_COLUMNS

    with open(DEMO, encoding="utf-8") as demo:
        header = demo.readline().strip().split(",")
    assert header == COLUMNS + EXTENSION_COLUMNS
    report = import_places(str(DEMO), source_name="demo")
    assert (report.created, report.rejected, report.ignored_columns) == (63, 0, [])
    assert not [issue for row in report.rows for issue in row.issues]
    fablab = Place.objects.get(source_id="la-fabrique-des-lices-rennes")
    assert set(fablab.kinds.values_list("code", flat=True)) == {"fablab"}
    assert "imprimante-3d" in set(fablab.equipment.values_list("code", flat=True))
    coworking = Place.objects.filter(kinds__code="coworking")
    assert coworking.count() == 11 and all(p.equipment.exists() for p in coworking)


def test_setup_directory_is_idempotent(capsys):
    """On a database already set up (the session's: vocabularies and territories
    loaded), it changes none of them; the demo places it loads once, and loading
    them again adds none (`test_demo_places_load_twice_without_duplicates`). One run
    rather than two: each recomputes the coverage of every commune (25 s here)."""
    before = (Territory.objects.count(), Term.objects.count())
    load_demo()
    demo = Place.objects.count()
    call_command("setup_directory", "--demo", verbosity=0)
    assert (
        Place.objects.count(),
        Territory.objects.count(),
        Term.objects.count(),
    ) == (demo, *before)
    assert "ready" in capsys.readouterr().out
