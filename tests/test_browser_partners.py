"""A coordinator of Bretagne, in Chromium, reads the Bretagne fablabs' file (not in
the standard) through a mapping written in the partner's workbench: file sent,
columns profiled, mapping checked and previewed, a dry run, an unknown value
added to a table in one click, a version saved, the import checked, confirmed."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings
from playwright.sync_api import expect

from partners.models import Partner
from places.models import Place, Territory
from places.signals import places_changed
from places.territories import load_territories

from .browsing import coordinator, log_in, needs_chromium, opened
from .conftest import SHARED_DATA, needs_shared_data

pytestmark = [*needs_chromium, needs_shared_data]
FILE = SHARED_DATA / "fablabs_tierslieux_bretagne_maplabbzh.csv"


@pytest.fixture
def coverage_left_to_its_worker():
    """With tasks run at once, the import would also recompute the coverage of all
    France's communes (25 s) in the request: not what this test is about."""
    from coverage.tasks import refresh_later

    places_changed.disconnect(dispatch_uid="coverage")
    yield
    places_changed.connect(refresh_later, dispatch_uid="coverage")


@pytest.fixture
def bretagne_partner(committed_rennes, tasks_run_at_once, coverage_left_to_its_worker):
    # This test commits: the communes of Bretagne are there only if loaded again
    # (and of Pays de la Loire, where the file has 11 places).
    if Territory.objects.filter(level="commune", region_code="53").count() < 1000:
        load_territories(settings.TERRITORIES_DATA_DIR, regions_only=["53", "52"])
    region = Territory.objects.get(level="region", code="53")
    coordinator("coordination-bretagne", region)
    return Partner.objects.create(
        name="MakerTour Bretagne", code="maplab-bzh", territory=region
    )


def test_a_coordinator_maps_and_imports_a_partner_file(
    live_server, page, browser, bretagne_partner
):
    log_in(page, live_server, "coordination-bretagne")
    page.goto(f"{live_server.url}/admin/partners/partner/{bretagne_partner.pk}/change/")
    page.get_by_role("link", name="Correspondance et import").click()

    page.get_by_label("Fichier du partenaire").set_input_files(str(FILE))
    page.get_by_role("button", name="Envoyer ce fichier").click()
    profile = page.locator("#profile")
    expect(profile).to_contain_text("121 enregistrements")
    expect(profile.locator("tr", has_text="structure")).to_contain_text("fablab (32)")

    # The first mapping the workbench wrote from the columns' names, completed.
    editor = page.get_by_label("Correspondance", exact=True)
    draft = yaml.safe_load(editor.input_value())
    assert draft["champs"]["nom"] == {"colonne": "name"}
    draft["champs"]["typologie"] = [
        {"colonnes": ["structure"], "table": {"fablab": "FABLAB"}}
    ]
    editor.fill(yaml.safe_dump(draft, allow_unicode=True))
    page.get_by_role("button", name="Vérifier et aperçu").click()
    expect(page.locator("#mapping-valid")).to_be_visible()
    expect(page.locator("#preview tbody tr")).to_have_count(50)
    expect(page.locator("#preview")).to_contain_text("MakerSpace56")

    page.get_by_role("button", name="Essai sans enregistrer").click()
    expect(page.locator(".import-summary")).to_contain_text("105 lieux créés")
    cantine = page.locator("#unmapped tr", has_text="cantine")
    expect(cantine).to_contain_text("22")
    cantine.get_by_label("Valeur du standard pour « cantine »").select_option(
        "TIERS_LIEUX"
    )
    cantine.get_by_role("button", name="Ajouter").click()
    expect(page.locator("#unmapped tr", has_text="tierslieu")).to_be_visible()
    expect(page.locator("#unmapped tr", has_text="cantine")).to_have_count(0)
    expect(page.get_by_label("Correspondance", exact=True)).to_contain_text(
        "cantine: TIERS_LIEUX"
    )

    page.get_by_label("Note de version").fill("première version")
    page.get_by_role("button", name="Enregistrer une version").click()
    expect(page.locator(".messagelist")).to_contain_text("Version enregistrée")
    page.get_by_role("button", name="Vérifier puis importer").click()
    expect(page.locator(".import-summary")).to_contain_text("105 lieux créés")
    page.get_by_role("button", name="Confirmer l’import").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()

    places = Place.objects.filter(source="maplab-bzh")
    assert places.count() == 105
    assert places.filter(structure_types__value="TIERS_LIEUX").count() == 20
    assert bretagne_partner.versions.get().note == "première version"

    # The workbench on a phone, with its file, profile and report: nothing wider.
    with opened(browser, width=390) as phone:
        log_in(phone, live_server, "coordination-bretagne")
        phone.goto(
            f"{live_server.url}/admin/partners/partner/{bretagne_partner.pk}/correspondance/"
        )
        phone.get_by_role("button", name="Essai sans enregistrer").click()
        expect(phone.locator(".import-summary")).to_contain_text("lignes lues")
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"the workbench scrolls sideways by {overflow}px"


@pytest.fixture
def creuse_partner(committed_rennes, tasks_run_at_once, coverage_left_to_its_worker):
    if Territory.objects.filter(level="commune", departement_code="23").count() < 200:
        load_territories(settings.TERRITORIES_DATA_DIR, regions_only=["75"])
    creuse = Territory.objects.get(level="departement", code="23")
    coordinator("coordination-creuse", creuse)
    return Partner.objects.create(
        name="Département de la Creuse", code="creuse", territory=creuse
    )


def test_a_development_file_with_its_shipped_mapping(live_server, page, creuse_partner):
    """la-creuse.json, its mapping pasted from mappings/: as many places as the
    national converter made (89 of 91; 2 rows have no address)."""
    log_in(page, live_server, "coordination-creuse")
    page.goto(
        f"{live_server.url}/admin/partners/partner/{creuse_partner.pk}/correspondance/"
    )
    page.get_by_label("Fichier du partenaire").set_input_files(
        str(SHARED_DATA / "partners/la-creuse/la-creuse.json")
    )
    page.get_by_role("button", name="Envoyer ce fichier").click()
    expect(page.locator("#profile")).to_contain_text("91 enregistrements")
    shipped = Path(settings.BASE_DIR) / "mappings" / "la-creuse.yaml"
    page.get_by_label("Correspondance", exact=True).fill(shipped.read_text())
    page.get_by_role("button", name="Enregistrer une version").click()
    expect(page.locator(".messagelist")).to_contain_text("Version enregistrée")
    page.get_by_role("button", name="Vérifier puis importer").click()
    expect(page.locator(".import-summary")).to_contain_text("89 lieux créés")
    expect(page.locator(".import-summary")).to_contain_text("2 lignes refusées")
    page.get_by_role("button", name="Confirmer l’import").click()
    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible()
    places = Place.objects.filter(source="creuse")
    assert places.count() == 89
    assert places.get(name__startswith="Pontarion").commune.name == "Pontarion"
