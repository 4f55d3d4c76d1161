"""Issue 19 in a real Chromium: English pages at a phone's and a desktop's width show
no French interface text and pass axe; a missing place proposed in the browser
reaches the coordinator of its territory only, who creates it, and the search then
finds it."""

import re
from pathlib import Path

import polib
import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from coordination.models import Suggestion
from places.models import Place, Term, Territory

from .browsing import BLANK_TILE, WIDTHS, coordinator, log_in, needs_chromium, opened
from .factories import PlaceFactory

pytestmark = needs_chromium
PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
# Words of the French interface that no English page may show outside the data
# (places' names, descriptions and addresses, marked lang="fr").
# "Third places (tiers-lieux)" names the French word on purpose: hyphenated, it is not
# one of them.
FRENCH_WORDS = re.compile(
    r"(?<![\w-])(lieux|horaires|ouvert|fermé|maintenant|chercher|rechercher|carte|proposer|"
    r"accueil|aucun|voir|autour|filtres?|trier|adresse|téléphone|courriel|merci|"
    r"envoyer|signaler|précédente|suivante|résultats|habitants|moi|trouvés?)(?![\w-])",
    re.IGNORECASE,
)


def french_interface() -> list[str]:
    """The French texts of the interface that have an English translation of their
    own: none may show on an English page."""
    texts = []
    for entry in polib.pofile(str(PO)):
        french = entry.msgid_plural or entry.msgid
        english = entry.msgstr_plural[1] if entry.msgid_plural else entry.msgstr
        if french != english and len(french.split()) >= 2 and "%" not in french:
            texts.append(french)
    return texts


def interface_text(html: str) -> str:
    """What the page says outside the data written in French (lang="fr") and the
    code (the API's parameters and addresses are French identifiers), with the
    labels people hear (aria-label, title, placeholder, alt)."""
    soup = BeautifulSoup(html, "html.parser")
    hidden = '[lang="fr"], script, style, noscript, textarea, code, pre'
    for element in soup.select(hidden):
        element.decompose()
    said = [soup.body.get_text(" ")]
    for attribute in ("aria-label", "title", "placeholder", "alt"):
        said += [element[attribute] for element in soup.select(f"[{attribute}]")]
    return re.sub(r"\s+", " ", " ".join(said))


@pytest.fixture
def places(committed_rennes, settings):
    settings.MAP_TILES_URL = BLANK_TILE
    settings.PAGE_CACHE_SECONDS = 120  # pages as served in production
    printer = PlaceFactory(
        name="Espace numérique du Colombier",
        kinds=["epn"],
        services=["aide-aux-demarches-administratives"],
        description="Un espace ouvert à tous, avec des horaires adaptés.",
        location=Point(-1.6790, 48.1050, srid=4326),
    )
    printer.equipment.add(Term.objects.get(vocabulary="equipment", code="wifi"))
    return [
        printer,
        PlaceFactory(
            name="La Fabrique des Tanneurs",
            kinds=["fablab"],
            location=Point(-1.6868, 48.1105, srid=4326),
        ),
    ]


ENGLISH_PAGES = [
    "/en/",
    "/en/lieux/?q=print+a+document+Rennes",
    "/en/lieux/?q=zzqqxx",  # nothing found: the way to propose a place
    "PLACE",
    "/en/carte/",
    "/en/lieux/proposer/",
    "/en/couverture/",
    "/en/api/v1/",
]
# axe on the pages of their own layout (the others' checks are in test_browser.py).
AXE_PAGES = {
    "/en/",
    "/en/lieux/?q=print+a+document+Rennes",
    "PLACE",
    "/en/lieux/proposer/",
}


@pytest.mark.parametrize("page_path", ENGLISH_PAGES)
def test_english_pages_show_no_french_interface_text(
    live_server, places, browser, page_path
):
    """At a phone's and a desktop's width: no French text of the interface, nothing
    scrolling sideways, and (for the pages of their own layout) no serious axe
    violation."""
    path = f"/en{places[0].get_absolute_url()}" if page_path == "PLACE" else page_path
    for width in WIDTHS:
        with opened(browser, width) as page:
            page.goto(live_server.url + path)
            expect(page.locator("html")).to_have_attribute("lang", "en")
            if path == "/en/carte/":
                expect(page.locator("#map-status")).to_contain_text("on the map")
            text = interface_text(page.content())
            shown = [french for french in french_interface() if french in text]
            assert shown == [], (width, shown)
            # Addresses (/api/v1/lieux/) are identifiers, as are the API's
            # parameters that its documentation names in its prose (ouvert, frais…).
            words = re.sub(r"\S*/\S*", " ", text)
            if not path.startswith("/en/api/"):
                assert FRENCH_WORDS.findall(words) == [], (width, text)
            # English words are longer: nothing scrolls sideways on a phone.
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - window.innerWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}"
        if page_path in AXE_PAGES and AXE.exists():
            assert serious_violations(browser, live_server.url + path, width) == []


def serious_violations(browser, url: str, width: int) -> list:
    """axe-core (the npm package) in Chromium; it is injected as an inline script,
    which this page's browser lets through."""
    with opened(browser, width, bypass_csp=True) as page:
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        return [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]


def test_a_proposed_place_reaches_its_coordinator_who_creates_it(
    live_server, places, browser, cache_clock, settings
):
    region = Territory.objects.get(level="region", code="53")
    coordinator("coordination-bretagne", region)
    paca, _ = Territory.objects.get_or_create(
        level="region", code="93", defaults={"name": "Provence-Alpes-Côte d’Azur"}
    )
    coordinator("coordination-paca", paca)
    name = "Atelier numérique des Gayeulles"
    # A citizen on a phone, in English, from an empty search.
    with opened(browser, 390) as page:
        page.goto(live_server.url + "/en/lieux/?q=Gayeulles")
        page.get_by_role("link", name="Propose a place").first.click()
        page.get_by_label("Name of the place").fill(name)
        page.get_by_label("Public digital space").check()
        page.get_by_label("Address", exact=True).fill("16 avenue des Gayeulles")
        page.get_by_label("Postal code and commune").fill("35000 Rennes")
        page.get_by_label("Wednesday").fill("14:00-18:00")
        expect(page.locator("#id_opening_hours")).to_have_value("We 14:00-18:00")
        expect(page.locator("[data-preview]")).to_contain_text("Preview")
        page.get_by_label("Help with official paperwork").check()
        page.get_by_label("Your e-mail address (optional)").fill("me@example.org")
        page.get_by_role("button", name="Send the proposal").click()
        expect(page.locator("h1")).to_have_text(
            "Thank you, your proposal has been received"
        )
    proposal = Suggestion.objects.get(field="new_place")
    assert proposal.proposal["opening_hours"] == "We 14:00-18:00"
    assert not Place.objects.filter(name=name).exists()
    with opened(browser) as admin:
        # Not in another territory's queue.
        log_in(admin, live_server, "coordination-paca")
        admin.goto(live_server.url + "/admin/coordination/suggestion/")
        expect(admin.locator("#result_list, .paginator").first).to_be_visible()
        expect(admin.get_by_text(name)).to_have_count(0)
        admin.context.clear_cookies()
        # In Bretagne's, which creates it.
        log_in(admin, live_server, "coordination-bretagne")
        admin.goto(live_server.url + "/admin/coordination/suggestion/")
        admin.get_by_role("link", name=re.compile(name)).click()
        expect(admin.locator("#content")).to_contain_text("16 avenue des Gayeulles")
        admin.get_by_role("button", name="Créer le lieu").click()
        expect(admin.locator(".messagelist")).to_contain_text("Lieu créé et publié")
    # Visitors' listings are kept a little (places/caching.py): the empty search
    # shows the new place once its page and counts are renewed.
    cache_clock.advance(settings.PAGE_FRESH_SECONDS + settings.COUNT_CACHE_SECONDS)
    with opened(browser, 390) as page:
        page.goto(live_server.url + "/en/lieux/?q=Gayeulles")
        expect(page.locator(".card__title")).to_have_text(name)
