"""Pages in a real Chromium (the system's, /usr/bin/chromium) through Playwright.

Map tiles come from a blank data URI, so no test reaches the internet.
"""

import contextlib
import http.server
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from playwright.sync_api import expect

from places.models import Place, Territory

from .browsing import BLANK_TILE, coordinator, log_in, needs_chromium
from .factories import PlaceFactory

pytestmark = needs_chromium


@contextlib.contextmanager
def partner_site(html: str):
    """A partner's web site: one page, served on 127.0.0.1 (another origin than the
    live server's localhost, and local: Chromium refuses a public page framing a
    local one)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


@pytest.fixture
def places(committed_rennes, settings):
    """Live-server tests run in their own transactions, flushed afterwards."""
    settings.MAP_TILES_URL = BLANK_TILE
    settings.PAGE_CACHE_SECONDS = 120  # pages as served in production
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
        "#full-map .leaflet-marker-icon[title^='La Fabrique des Tanneurs']"
    ).click()
    page.locator(".leaflet-popup-content a").click()
    page.wait_for_url("**" + places[0].get_absolute_url())
    assert page.locator("h1").inner_text() == "La Fabrique des Tanneurs"
    assert page.errors == []


def test_map_follows_the_filters_and_lists_the_places_in_view(
    live_server, places, page
):
    page.goto(live_server.url + "/carte/")
    page.wait_for_selector("#full-map[data-count]")
    page.wait_for_selector("#map-list .map-list__count[data-count='3']")
    page.get_by_label("Fablab").check()
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url("**type=fablab**")
    page.wait_for_selector("#full-map[data-count='1']")
    assert page.locator("#full-map .leaflet-marker-icon").count() == 1
    assert "1 lieu sur la carte" in page.locator("#map-status").inner_text()
    page.wait_for_selector("#map-list .map-list__count[data-count='1']")
    assert page.locator("#map-list .card__title").all_inner_texts() == [
        "La Fabrique des Tanneurs"
    ]
    # The view is in the address: zoom in on the coworking, far from the fablab.
    page.goto(live_server.url + "/carte/#carte=17/48.11500/-1.67000")
    page.wait_for_selector("#map-list .map-list__count[data-count='1']")
    assert page.locator("#map-list .card__title").all_inner_texts() == [
        "Cowork de la Vilaine"
    ]
    assert page.errors == []


def test_clusters_show_counts_and_zoom_in_on_click(live_server, places, page, settings):
    settings.MAP_MAX_PLACES = 2  # three places in view: clusters
    page.goto(live_server.url + "/carte/#carte=8/48.11/-1.68")
    cluster = page.locator("#full-map .map-cluster")
    cluster.wait_for()
    assert cluster.count() == 1 and cluster.inner_text() == "3"
    assert page.locator("#full-map").get_attribute("data-clustered") == "true"
    cluster.click()
    # Zoomed in on the group's bounds: the grid is finer, each place on its own.
    expect(page.locator("#full-map .map-cluster")).to_have_count(0)
    markers = page.locator("#full-map .leaflet-marker-icon[title]")
    expect(markers).to_have_count(3)
    expect(page).to_have_url(re.compile(r"#carte=(1[3-9]|[2-9][0-9])/"))
    # The kind is told by text too, not only by the icon.
    expect(
        page.locator("#full-map [title='La Fabrique des Tanneurs (Fablab)']")
    ).to_have_count(1)
    assert page.errors == []


def test_embedded_map_works_inside_another_site(live_server, places, page):
    """A partner's page (another origin, served by the test) frames the embed view;
    framing any other page is refused."""
    embed = live_server.url + "/carte/?embed=1&type=fablab"
    other = live_server.url + "/carte/?type=fablab"
    partner = (
        "<!doctype html><title>Partenaire</title><h1>Notre réseau</h1>"
        f'<iframe id="embed" src="{embed}" width="800" height="600"></iframe>'
        f'<iframe id="other" src="{other}" width="800" height="600"></iframe>'
    )
    with partner_site(partner) as partner_url:
        assert partner_url.split("/")[2] != embed.split("/")[2]  # another origin
        # The ordinary map page in the other frame is refused: Chromium says so.
        with page.expect_console_message(lambda m: "frame-ancestors" in m.text):
            page.goto(partner_url)
        frame = page.frame_locator("#embed")
        expect(frame.locator("#full-map[data-count='1']")).to_have_count(1)
        expect(frame.locator("#full-map .leaflet-marker-icon")).to_have_count(1)
        expect(frame.locator("header, footer")).to_have_count(0)  # no site chrome
        expect(frame.locator("#filtres")).to_have_count(0)
        expect(frame.locator("#map-list .card__title")).to_have_text(
            ["La Fabrique des Tanneurs"]
        )
        expect(page.frame_locator("#other").locator("#full-map")).to_have_count(0)
        assert len(page.refused) == 1 and "frame-ancestors 'none'" in page.refused[0]
        page.refused.clear()  # the one refusal this test expects


def test_a_partner_site_reads_the_api_from_its_own_origin(live_server, places, page):
    """CORS, in Chromium: a page on another origin fetches the places, with a
    partner key (a header that needs a preflight), and shows them."""
    from api.models import PartnerKey

    _, key = PartnerKey.objects.create_key(name="carte", partner="Réseau")
    api = live_server.url + "/api/v1/lieux/?type=fablab"
    partner = (
        "<!doctype html><title>Partenaire</title><h1>Nos fablabs</h1><ul id='lieux'>"
        "</ul><script>fetch("
        + repr(api)
        + ", {headers: {Authorization: "
        + repr("Api-Key " + key)
        + "}}).then(r => r.json()).then(data => {"
        "for (const p of data.results) { const li = document.createElement('li');"
        "li.textContent = p.nom + ' — ' + p.commune; lieux.append(li); }})"
        ".catch(e => { document.title = 'erreur ' + e; });</script>"
    )
    with partner_site(partner) as partner_url:
        page.goto(partner_url)
        expect(page.locator("#lieux li")).to_have_text(
            ["La Fabrique des Tanneurs — Rennes"]
        )


def test_the_api_documentation_reads_on_a_phone(live_server, places, page):
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="API et données ouvertes").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("API publique")
    expect(
        page.get_by_role(
            "heading", name="GET /api/v1/lieux/ — Les lieux, page par page"
        )
    ).to_be_visible()
    page.get_by_role(
        "link", name="GET /api/v1/vocabulaires/ — Les listes de valeurs"
    ).click()
    expect(page.locator("#vocabulaires")).to_be_in_viewport()
    # Nothing wider than the phone but the tables, which scroll in their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_map_page_offers_the_embed_code(live_server, places, page):
    page.goto(live_server.url + "/carte/?type=fablab")
    page.wait_for_selector("#full-map[data-count]")
    page.get_by_text("Intégrer cette carte").click()
    code = page.locator("#embed-snippet").input_value()
    assert code.startswith("<iframe src=") and "embed=1&amp;type=fablab#carte=" in code


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


def test_long_words_do_not_widen_a_phone_page(live_server, places, browser):
    """Real data has long unbroken words (addresses of web pages in summaries):
    they wrap, the page does not scroll sideways (it did, by 201 px)."""
    PlaceFactory(
        name="Médiathèque intercommunale du pays de la Vallée-du-Grand-Lac",
        summary="Voir https://www.example.org/" + "cheminsanscoupure" * 8,
        location=Point(-1.68, 48.11, srid=4326),
    )
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/lieux/")
    expect(page.locator("#resultats > li")).to_have_count(4)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"/lieux/ scrolls sideways by {overflow}px at 390 px"
    context.close()


def focused(page) -> dict:
    """What has the keyboard focus, and whether the user can see it."""
    return page.evaluate(
        """() => {
        const element = document.activeElement;
        const style = getComputedStyle(element);
        const box = element.getBoundingClientRect();
        return {
            tag: element.tagName, id: element.id, name: element.name || "",
            href: element.getAttribute("href") || "",
            inResults: !!element.closest("#resultats"),
            ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
            onScreen: box.width > 0 && box.height > 0 && box.bottom > 0
                && box.right > 0 && box.left < innerWidth,
        };
    }"""
    )


def tab_until(page, wanted, limit=40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError(f"not reached with {limit} presses of Tab")


def test_a_phone_user_searches_in_words_then_filters(live_server, places, browser):
    """At 390 px: "fablab Rennes" typed in the one box is understood (and can be
    taken back), and "Filtrer" brings the filters above the results."""
    from .browsing import opened

    with opened(browser, 390) as page:
        page.goto(live_server.url + "/")
        page.get_by_label("Que cherchez-vous ?").fill("fablab Rennes")
        page.get_by_role("button", name="Rechercher", exact=True).click()
        page.wait_for_url("**q=fablab+Rennes**")
        understood = page.locator(".understood")
        expect(understood).to_contain_text("Fablab")
        expect(understood).to_contain_text("Où : Rennes (35)")
        expect(page.locator("#resultats .card__title")).to_have_text(
            ["La Fabrique des Tanneurs"]
        )
        filters = page.locator("#filtres")
        results = page.locator("#resultats")
        assert filters.bounding_box()["y"] > results.bounding_box()["y"]
        page.get_by_role("link", name="Filtrer et modifier la recherche").click()
        page.wait_for_url("**#filtres")
        expect(filters).to_be_in_viewport()
        assert filters.bounding_box()["y"] < results.bounding_box()["y"]
        page.get_by_role("link", name=re.compile("Retirer « Fablab »")).click()
        page.wait_for_url(re.compile(r"q=%22fablab%22"))
        expect(page.locator(".chip--need")).to_have_count(0)
        assert page.errors == [] and page.refused == []


def test_around_me_from_the_home_page(live_server, places, browser):
    from .browsing import opened

    with opened(
        browser,
        390,
        geolocation={"latitude": 48.1105, "longitude": -1.6868},
        permissions=["geolocation"],
    ) as page:
        page.goto(live_server.url + "/")
        page.get_by_role("button", name="Autour de moi").click()
        page.wait_for_url(re.compile(r"lat=48\.1105.*lon=-1\.6868"))
        expect(page.locator("#resultats .card__title").first).to_have_text(
            "La Fabrique des Tanneurs"
        )
        assert page.errors == [] and page.refused == []


def test_a_keyboard_user_searches_and_opens_a_place(live_server, places, page):
    """No mouse, no click(): Tab, typing and Enter only; every stop shows its focus."""
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["href"] == "#contenu" and skip["ring"] and skip["onScreen"]
    page.keyboard.press("Enter")
    field = tab_until(page, lambda element: element["name"] == "q")
    assert field["ring"]
    page.keyboard.type("tanneurs")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=tanneurs**")
    result = tab_until(page, lambda element: element["inResults"])
    assert result["ring"] and result["onScreen"]
    assert result["href"] == places[0].get_absolute_url()
    page.keyboard.press("Enter")
    page.wait_for_url("**" + places[0].get_absolute_url())
    assert page.locator("h1").inner_text() == places[0].name


AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.skipif(not AXE.exists(), reason=f"axe-core not found at {AXE} (npm ci)")
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/lieux/?q=espace&type=epn&type=fablab&ouvert=1",
        "/lieux/?q=fablab+Rennes&ouvert=1",  # understood, removable; nothing open
        "/lieux/?q=smartphone&ou=Renne",  # a corrected town; an empty search
        "PLACE",
        "/carte/",
        "/api/v1/",
    ],
)
def test_pages_have_no_serious_accessibility_violation(
    live_server, places, browser, path, width
):
    """axe-core (the npm package, run in Chromium) on the page as a citizen sees it:
    contrast, names of controls and links, landmarks, language, ARIA."""
    # axe is injected as an inline script: the test's browser lets it through.
    context = browser.new_context(
        viewport={"width": width, "height": 900}, locale="fr-FR", bypass_csp=True
    )
    page = context.new_page()
    path = places[0].get_absolute_url() if path == "PLACE" else path
    page.goto(live_server.url + path)
    if path == "/carte/":
        page.wait_for_selector("#full-map[data-count] .leaflet-marker-icon")
        page.wait_for_selector("#map-list .card__title")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], serious
    assert page.evaluate("document.documentElement.lang") == "fr"
    context.close()


def coordinator_of_bretagne():
    return coordinator(
        "coordination-bretagne", Territory.objects.get(level="region", code="53")
    )


def test_a_citizen_s_correction_reaches_the_coordinator_who_accepts_it(
    live_server, places, page, browser
):
    place = places[1]
    coordinator_of_bretagne()
    # The citizen, on the place's page.
    page.goto(live_server.url + place.get_absolute_url())
    page.get_by_role("link", name="Signaler une modification").click()
    page.get_by_label("Le téléphone").check()
    page.get_by_label("La bonne information").fill("02 99 12 34 56")
    page.get_by_label("Précisions (facultatif)").fill("Nouveau numéro depuis juin.")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_url("**/signaler/merci/")
    assert "Merci" in page.locator("h1").inner_text()
    # The coordinator, in the admin.
    admin = browser.new_context(locale="fr-FR").new_page()
    log_in(admin, live_server, "coordination-bretagne")
    admin.goto(live_server.url + "/admin/coordination/suggestion/")
    admin.get_by_role("link", name=place.name).first.click()
    accept = admin.get_by_role("button", name="Appliquer la valeur")
    accept.wait_for()
    assert "02 99 12 34 56" in admin.locator("#content").inner_text()
    accept.click()
    admin.wait_for_selector(".messagelist")
    assert "Suggestion acceptée" in admin.locator(".messagelist").inner_text()
    page.goto(live_server.url + place.get_absolute_url())
    assert "02 99 12 34 56" in page.content()
    assert page.errors == [] and admin.context.pages


def test_the_hours_editor_writes_the_osm_text_and_previews_it(
    live_server, places, page
):
    coordinator_of_bretagne()
    log_in(page, live_server, "coordination-bretagne")
    page.goto(live_server.url + f"/admin/places/place/{places[0].pk}/change/")
    hours_text = page.locator("#id_opening_hours")
    expect(hours_text).to_have_value("Mo-Fr 09:00-12:00,14:00-18:00; PH off")
    # Read into the table…
    expect(page.get_by_label("Mercredi")).to_have_value("09:00-12:00, 14:00-18:00")
    expect(page.get_by_label("Fermé les jours fériés")).to_be_checked()
    # …and written back from it.
    page.get_by_label("Samedi").fill("10:00-12:00")
    expect(hours_text).to_have_value(
        "Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; PH off"
    )
    expect(page.locator("[data-preview] li").first).to_be_visible()
    expect(page.locator("[data-preview]")).to_contain_text("Aperçu")
    # A text too rich for the table: edited as text, the preview says if it reads.
    hours_text.fill('Mo-Fr 09:00-18:00; Sa 10:00-12:00 open "sur rendez-vous"')
    expect(page.get_by_label("Lundi")).to_be_disabled()
    hours_text.fill("n’importe quoi")
    expect(page.locator("[data-preview] .invalid")).to_be_visible()
    assert page.errors == []


def test_a_place_page_prints_on_one_a4_sheet(live_server, places, page):
    place = places[0]
    place.description = "Un atelier partagé au bord de la Vilaine. " * 12
    place.phone = "+33299000000"
    place.emails = ["contact@example.org"]
    place.websites = ["https://example.org/une-adresse-un-peu-longue"]
    place.save()
    page.goto(live_server.url + place.get_absolute_url())
    page.emulate_media(media="print")
    assert page.locator(".site-footer").is_hidden()
    assert page.locator("#place-map").is_hidden()
    pdf = page.pdf(format="A4")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1
    assert page.get_by_text("Un atelier partagé").first.is_visible()
