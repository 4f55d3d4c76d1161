"""The coverage page in Chromium: a citizen on a phone and on a desktop, without
JavaScript, and the coordinator who plans where to open next."""

import pytest
from playwright.sync_api import expect

from coverage import compute
from places.models import Territory

from .browsing import BLANK_TILE, WIDTHS, coordinator, log_in, needs_chromium, opened
from .test_browser import AXE
from .test_coverage import make_geography

pytestmark = needs_chromium
PATH = "/territoires/99/couverture/"


@pytest.fixture
def geography(transactional_db, settings):
    settings.MAP_TILES_URL = BLANK_TILE
    from django.core.management import call_command

    from .conftest import REFERENCE

    call_command("loaddata", REFERENCE, verbosity=0)
    # Only the hand-made communes measured (the database is emptied after the test).
    Territory.objects.filter(centre__isnull=False).update(centre=None)
    made = make_geography()
    compute.refresh_all()
    return made


@pytest.mark.parametrize("width", WIDTHS)
def test_a_citizen_reads_the_figures_the_legend_and_the_map(
    live_server, browser, geography, width
):
    with opened(browser, width) as page:
        page.goto(live_server.url + PATH)
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Qui est loin d’un lieu ? Ligne"
        )
        expect(page.locator(".coverage-figures")).to_contain_text("À plus de 20 km")
        expect(page.locator(".coverage-legend tbody tr")).to_have_count(5)
        # Every commune with a centre drawn on the map, in its band's colour.
        expect(page.locator("#coverage-map")).to_have_attribute("data-count", "5")
        page.get_by_label("Lieux offrant le service").select_option(
            label="Aide aux démarches administratives"
        )
        page.get_by_role("button", name="Afficher").click()
        expect(page).to_have_url(
            live_server.url + PATH + "?service=aide-aux-demarches-administratives&type="
        )
        expect(
            page.locator("#communes + p + .table-scroll tbody tr").first
        ).to_contain_text("111,3 km")


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core not found at {AXE} (npm ci)")
@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_has_no_serious_accessibility_violation(
    live_server, browser, geography, width
):
    with opened(browser, width, bypass_csp=True) as page:  # axe is injected inline
        page.goto(live_server.url + PATH)
        expect(page.locator("#coverage-map")).to_have_attribute("data-count", "5")
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        serious = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], serious


def test_without_javascript_the_tables_say_everything(live_server, browser, geography):
    with opened(browser, 390, java_script_enabled=False) as page:
        page.goto(live_server.url + PATH)
        rows = page.locator("#communes + p + .table-scroll tbody tr")
        expect(rows).to_have_count(5)
        expect(rows.first).to_contain_text("Delta")  # the farthest first
        expect(page.locator(".coverage-legend tbody tr")).to_have_count(5)
        expect(page.locator("#coverage-map")).not_to_have_attribute("data-count", "5")


def test_a_coordinator_sees_where_to_open_next(live_server, browser, geography):
    coordinator("coordination-equateur", geography["departement"])
    with opened(browser, 390) as page:
        log_in(page, live_server, "coordination-equateur")
        page.get_by_role("link", name="Ligne").click()
        expect(page.get_by_role("heading", name="Où ouvrir ensuite ?")).to_be_visible()
        page.get_by_label("Nombre de lieux à placer (1 à 10)").fill("1")
        page.get_by_role("button", name="Recalculer").click()
        openings = page.locator(".coverage-openings li")
        expect(openings).to_have_count(1)
        expect(openings.first).to_contain_text("Echo")
