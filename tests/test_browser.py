"""Pages in a real Chromium (the system's, /usr/bin/chromium) through Playwright.

Map tiles come from a blank data URI, so no test reaches the internet.
"""

import os
import shutil

import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from places.models import Place, Territory

from .conftest import REFERENCE
from .factories import PlaceFactory

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
BLANK_TILE = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNk"
    "YAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"Chromium not found at {CHROMIUM}"
    ),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls of the test
# itself are still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def places(transactional_db, settings):
    """Live-server tests run in their own transactions, flushed afterwards: set up the
    little they need (reference data and Rennes) each time."""
    settings.MAP_TILES_URL = BLANK_TILE
    call_command("loaddata", REFERENCE, verbosity=0)
    region, _ = Territory.objects.get_or_create(
        level="region", code="53", defaults={"name": "Bretagne"}
    )
    departement, _ = Territory.objects.get_or_create(
        level="departement",
        code="35",
        defaults={
            "name": "Ille-et-Vilaine",
            "parent": region,
            "departement_code": "35",
            "region_code": "53",
        },
    )
    Territory.objects.get_or_create(
        level="commune",
        code="35238",
        defaults={
            "name": "Rennes",
            "parent": departement,
            "departement_code": "35",
            "region_code": "53",
            "postal_codes": ["35000"],
            "population": 225081,
        },
    )
    return [
        PlaceFactory(
            name="La Fabrique des Tanneurs",
            kinds=["fablab"],
            location=Point(-1.6868, 48.1105, srid=4326),
        ),
        PlaceFactory(
            name="Espace numérique du Colombier",
            kinds=["epn"],
            location=Point(-1.6790, 48.1050, srid=4326),
        ),
        PlaceFactory(
            name="Cowork de la Vilaine",
            kinds=["coworking"],
            location=Point(-1.6700, 48.1150, srid=4326),
        ),
        PlaceFactory(
            name="Brouillon",
            status=Place.Status.DRAFT,
            location=Point(-1.6750, 48.1100, srid=4326),
        ),
    ]


def test_place_page_shows_its_map_with_a_marker(live_server, places, page):
    page.goto(live_server.url + places[0].get_absolute_url())
    page.wait_for_selector("#place-map .leaflet-marker-icon")
    assert page.locator("#place-map .leaflet-marker-icon").count() == 1
    assert page.locator("#place-map").bounding_box()["height"] > 150
    assert page.errors == []


def test_map_shows_published_places_and_a_popup_opens_the_place(
    live_server, places, page
):
    page.goto(live_server.url + "/carte/")
    page.wait_for_selector("#full-map[data-count]")
    assert page.locator("#full-map .leaflet-marker-icon").count() == 3  # not the draft
    page.locator(
        "#full-map .leaflet-marker-icon[title='La Fabrique des Tanneurs']"
    ).click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_url("**" + places[0].get_absolute_url())
    assert page.locator("h1").inner_text() == "La Fabrique des Tanneurs"
    assert page.errors == []


def test_map_follows_the_filters(live_server, places, page):
    page.goto(live_server.url + "/carte/?type=epn")
    page.wait_for_selector("#full-map[data-count]")
    assert page.locator("#full-map .leaflet-marker-icon").count() == 1
    assert "1 lieu sur la carte" in page.locator("#map-status").inner_text()


def test_listing_filters_work_without_javascript(live_server, places, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/lieux/")
    assert page.locator("#resultats > li").count() == 3
    page.get_by_label("Fablab").check()
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**type=fablab**")
    assert (
        page.locator("#resultats > li")
        .all_inner_texts()[0]
        .startswith("La Fabrique des Tanneurs")
    )
    assert page.locator("#resultats > li").count() == 1
    context.close()


@pytest.mark.parametrize("path", ["/", "/lieux/", "/carte/", "PLACE"])
def test_pages_fit_a_small_phone(live_server, places, browser, path):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.goto(
        live_server.url + (places[0].get_absolute_url() if path == "PLACE" else path)
    )
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360 px"
    context.close()


def test_keyboard_user_can_skip_to_content_and_search(live_server, places, page):
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    page.get_by_label("Que cherchez-vous ?").fill("tanneurs")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=tanneurs**")
    page.locator("#resultats a").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**" + places[0].get_absolute_url())
