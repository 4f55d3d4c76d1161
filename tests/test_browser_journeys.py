"""What citizens and coordinators met in Chromium, page by page, at a phone's and a
desktop's width: the default order, sorting and the radius, what a place page says
when data is missing or odd, nearby places, the map and its list, a citizen's hours
applied by a coordinator, open now after an edit, the dashboard, refusals, the
history, and an import followed by its progress."""

import datetime as dt
import subprocess
import sys

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone
from playwright.sync_api import expect

from places.models import Place, Source, Territory

from .browsing import BLANK_TILE, WIDTHS, coordinator, log_in, needs_chromium, opened
from .conftest import server_environment
from .factories import PlaceFactory

pytestmark = needs_chromium
RENNES = (-1.6794, 48.1113)


@pytest.fixture
def rennes(committed_rennes, settings):
    settings.MAP_TILES_URL = BLANK_TILE
    settings.PAGE_CACHE_SECONDS = 120  # pages as served in production
    return committed_rennes


def point(dlon: float = 0, dlat: float = 0) -> Point:
    return Point(RENNES[0] + dlon, RENNES[1] + dlat, srid=4326)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_default_listing_starts_with_useful_places(
    live_server, rennes, browser, width
):
    PlaceFactory(name="1", location=point(0.001))
    PlaceFactory(name="21560121200016", location=point(0.002))
    PlaceFactory(
        name="Médiathèque des Champs Libres",
        phone="+33299000000",
        verified_at=timezone.now(),
        services=["aide-aux-demarches-administratives"],
        location=point(0.003),
    )
    with opened(browser, width) as page:
        page.goto(live_server.url + "/lieux/?ou=Rennes")
        titles = page.locator("#resultats .card__title")
        expect(titles).to_have_count(3)
        expect(titles.first).to_have_text("Médiathèque des Champs Libres")
        expect(titles.nth(1)).not_to_have_text("Médiathèque des Champs Libres")
        assert set(titles.all_inner_texts()[1:]) == {"1", "21560121200016"}
        # Without a position, no sorting by distance is offered.
        expect(page.locator("select[name=tri] option[value=distance]")).to_have_count(0)
        page.goto(live_server.url + "/lieux/?lat=48.11&lon=-1.68")
        expect(page.locator("select[name=tri] option[value=distance]")).to_have_count(1)
        radius = page.get_by_label("Rayon (km)")
        expect(radius).to_have_attribute("placeholder", "10")
        assert radius.bounding_box()["height"] >= 40  # was 20 px, its 10 hidden
        expect(page.get_by_text("10 km si vous ne dites rien.")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_place_page_says_what_is_known_and_what_is_not(
    live_server, rennes, browser, width
):
    Source.objects.create(
        code="conseiller-numerique", name="Conseillers numériques France Services"
    )
    place = PlaceFactory(
        name="Espace des Lices",
        address="1 place des Lices",
        source="conseiller-numerique",
        data_updated_on=dt.date(1970, 1, 1),
        opening_hours="Mo 09:00",  # not OSM hours: told in words
        location=point(),
    )
    PlaceFactory(name="Au nord", location=point(0, 0.00468))  # 520 m
    PlaceFactory(name="À l’est", location=point(0.0060))  # 446 m
    # The same place, from another source: not a place nearby.
    PlaceFactory(name="Espace des Lices", address="1 place des Lices",
                 source="autre", location=point())  # fmt: skip
    with opened(browser, width) as page:
        page.goto(live_server.url + place.get_absolute_url())
        expect(page.get_by_text("Date de mise à jour inconnue")).to_be_visible()
        expect(page.locator("body")).not_to_contain_text("1970")
        expect(page.locator(".sources")).to_contain_text(
            "Source : Conseillers numériques France Services"
        )
        hours = page.locator("#hours").locator("..")
        expect(hours).to_contain_text("lundi 09:00")
        expect(hours).not_to_contain_text("Mo 09:00")
        expect(page.locator(".nearby li a")).to_have_text(["À l’est", "Au nord"])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_map_counts_the_places_its_list_shows(live_server, rennes, browser, width):
    for n in range(48):  # 600 m apart, over and around the view
        PlaceFactory(
            name=f"Lieu {n}", location=point((n % 8 - 4) * 0.008, (n // 8 - 3) * 0.0054)
        )
    with opened(browser, width) as page:
        page.goto(live_server.url + "/carte/#carte=15/48.11130/-1.67940")
        full_map = page.locator("#full-map[data-count]")
        expect(full_map).to_have_count(1)
        count = full_map.get_attribute("data-count")
        expect(page.locator("#map-list .map-list__count")).to_have_attribute(
            "data-count", count
        )
        assert 0 < int(count) < 48


def test_a_coordinator_applies_the_hours_a_citizen_wrote_in_words(
    live_server, rennes, browser
):
    place = PlaceFactory(name="Espace des Lices", opening_hours="")
    coordinator("bretagne", Territory.objects.get(level="region", code="53"))
    with opened(browser, 390) as citizen:
        citizen.goto(live_server.url + place.get_absolute_url())
        citizen.get_by_role("link", name="Signaler une modification").click()
        citizen.get_by_label("Les horaires").check()
        citizen.get_by_label("La bonne information").fill("lundi 9h-12h")
        citizen.get_by_role("button", name="Envoyer").click()
        citizen.wait_for_url("**/signaler/merci/")
    with opened(browser) as admin:
        log_in(admin, live_server, "bretagne")
        admin.goto(live_server.url + "/admin/coordination/suggestion/")
        admin.get_by_role("link", name=place.name).first.click()
        value = admin.locator("#id_applied_value")
        # Read into OSM hours, and into the editor, with its preview.
        expect(value).to_have_value("Mo 09:00-12:00")
        expect(admin.get_by_label("Lundi")).to_have_value("09:00-12:00")
        expect(admin.locator("[data-preview] li").first).to_be_visible()
        admin.get_by_label("Samedi").fill("10:00-12:00")
        expect(value).to_have_value("Mo 09:00-12:00; Sa 10:00-12:00")
        admin.get_by_role("button", name="Appliquer la valeur").click()
        expect(admin.locator(".messagelist")).to_contain_text("Suggestion acceptée")
    with opened(browser, 390) as citizen:
        citizen.goto(live_server.url + place.get_absolute_url())
        saturday = citizen.locator("table.hours tr", has_text="Samedi")
        expect(saturday).to_contain_text("10:00–12:00")


def test_open_now_follows_an_edit_at_once(live_server, rennes, browser):
    place = PlaceFactory(name="Espace des Lices", opening_hours="")
    coordinator("bretagne", Territory.objects.get(level="region", code="53"))
    with opened(browser) as admin:
        log_in(admin, live_server, "bretagne")
        admin.goto(live_server.url + f"/admin/places/place/{place.pk}/change/")
        admin.locator("#id_opening_hours").fill("24/7")
        admin.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(admin.locator(".messagelist")).to_be_visible()
    with opened(browser, 390) as citizen:
        citizen.goto(live_server.url + "/lieux/?ouvert=1")
        expect(citizen.locator("#resultats .card__title")).to_have_text(
            ["Espace des Lices"]
        )


def test_a_coordinator_s_dashboard_refusals_and_history(live_server, rennes, browser):
    region = Territory.objects.create(level="region", code="93", name="PACA")
    departement = Territory.objects.create(
        level="departement", code="06", name="Alpes-Maritimes", parent=region,
        departement_code="06", region_code="93",
    )  # fmt: skip
    nice = Territory.objects.create(
        level="commune", code="06088", name="Nice", parent=departement,
        departement_code="06", region_code="93", postal_codes=["06000"],
    )  # fmt: skip
    elsewhere = PlaceFactory(name="Espace de Nice", commune=nice, postal_code="06000")
    PlaceFactory(name="12", location=point())  # flagged: an identifier
    mine = PlaceFactory(name="Espace des Lices", location=point(0.01))
    coordinator("bretagne", Territory.objects.get(level="region", code="53"))
    with opened(browser) as admin:
        log_in(admin, live_server, "bretagne")
        todo = admin.locator("#a-faire")
        row = todo.locator("tr", has_text="Nom qui ressemble à un identifiant")
        expect(row.locator("td")).to_have_text("1")
        row.get_by_role("link").click()
        expect(admin.locator("#result_list tbody tr")).to_have_count(1)
        expect(admin.locator("#result_list")).to_contain_text("12")
        # Another territory's place: refused in the admin's layout, saying why.
        admin.goto(live_server.url + f"/admin/places/place/{elsewhere.pk}/change/")
        expect(admin.locator("#site-name")).to_be_visible()
        expect(admin.locator(".errornote")).to_contain_text("hors de votre territoire")
        # The history, in French.
        admin.goto(live_server.url + f"/admin/places/place/{mine.pk}/history/")
        expect(admin.locator("#change-history thead")).to_contain_text("Modifications")
        expect(admin.locator("#change-history")).not_to_contain_text("None")


@pytest.fixture
def task_worker(rennes):
    """The task worker, as `make run` starts it, on the test database."""
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
        env=server_environment(),
    )
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


def test_a_coordinator_imports_a_file_and_follows_it(
    live_server, task_worker, browser, tmp_path
):
    coordinator("bretagne", Territory.objects.get(level="region", code="53"))
    upload = tmp_path / "partenaire.csv"
    upload.write_text(
        "id,nom,commune,code_postal,adresse,source\n"
        "r1,Atelier de Rennes,Rennes,35000,1 rue A,partenaire\n"
        'bad,"Mal cité,Rennes,35000,2 rue B,partenaire\n'
    )
    with opened(browser) as admin:
        log_in(admin, live_server, "bretagne")
        admin.goto(live_server.url + "/admin/places/place/importer/")
        admin.get_by_label("Fichier du partenaire").set_input_files(str(upload))
        admin.get_by_role("button", name="Vérifier le fichier").click()
        # The worker checks the file; the page follows and shows the report.
        heading = admin.get_by_role("heading", name="Vérification (rien n’est encore")
        expect(heading).to_be_visible(timeout=30_000)
        expect(admin.locator("#import-rows")).to_contain_text("colonnes au lieu de")
        # On a phone the report's table scrolls within the page, not the page.
        admin.set_viewport_size({"width": 390, "height": 844})
        report = admin.locator(".table-scroll:has(#import-rows)")
        expect(report).to_be_visible()
        assert report.bounding_box()["width"] <= 390
        admin.set_viewport_size({"width": 1280, "height": 800})
        admin.get_by_role("button", name="Confirmer l’import").click()
        done = admin.get_by_role("heading", name="Import terminé")
        expect(done).to_be_visible(timeout=30_000)
    assert list(Place.objects.values_list("name", flat=True)) == ["Atelier de Rennes"]
