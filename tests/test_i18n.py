"""The directory in English: every public page under /en/ with the same paths, French
at the usual ones; translations complete and current; the language from the address
only; the switch keeps the page and its query; hreflang and the sitemap cover both;
reference labels and the needs' everyday words in English; caches per language."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.utils import translation

from places.models import Term
from places.understanding import understand

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)


LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "en" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w+\}")


def entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(PO)) if not e.obsolete]


def test_every_entry_is_translated_and_keeps_its_placeholders():
    found = entries()
    assert len(found) > 700
    untranslated = [e.msgid for e in found if not e.translated()]
    fuzzy = [e.msgid for e in found if "fuzzy" in e.flags]
    assert untranslated == [] and fuzzy == []
    for entry in found:
        source = entry.msgid_plural or entry.msgid
        target = entry.msgstr_plural[1] if entry.msgid_plural else entry.msgstr
        assert sorted(PLACEHOLDER.findall(source)) == sorted(
            PLACEHOLDER.findall(target)
        ), entry.msgid


@pytest.mark.skipif(not shutil.which("xgettext"), reason="gettext is not installed")
def test_the_translations_hold_every_text_marked_in_the_code(tmp_path):
    """Text marked for translation but missing from the .po file would show in
    French on English pages: `make messages`, then translate it."""
    root = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    shutil.copytree(
        root,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv",
            "node_modules",
            ".git",
            "tests",
            "staticfiles",
            "*.mo",
            "docs",
            ".hypothesis",
            ".pytest_cache",
            ".ruff_cache",
            "var",
            "media",
            "test-artifacts",
            ".make",
        ),
    )
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-location",
         "--ignore=.venv", "--ignore=node_modules", "--ignore=staticfiles"],
        cwd=copy, check=True, capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "PYTHONPATH": str(copy)},
    )  # fmt: skip
    current = {e.msgid for e in polib.pofile(str(copy / PO.relative_to(root)))}
    assert current - {e.msgid for e in entries()} == set()


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response, BeautifulSoup(response.content, "html.parser")


def test_english_pages_have_the_same_paths_under_en(client):
    place = PlaceFactory(name="Espace de Rennes")
    for path in ["/", "/lieux/", place.get_absolute_url(), "/carte/",
                 "/territoires/35/", "/couverture/", "/lieux/proposer/", "/api/v1/",
                 f"{place.get_absolute_url()}signaler/"]:  # fmt: skip
        response, html = page(client, f"/en{path}")
        assert html.html["lang"] == "en", path
        assert response["Content-Language"] == "en"
        _, french = page(client, path)
        assert french.html["lang"] == "fr", path
    # The admin stays in French.
    assert client.get("/en/admin/").status_code == 404


def test_the_language_comes_from_the_address_only(client):
    """A shared link shows everyone the same page; caches keep one copy of each."""
    response = client.get(
        "/lieux/", HTTP_ACCEPT_LANGUAGE="en", HTTP_COOKIE="django_language=en"
    )
    assert BeautifulSoup(response.content, "html.parser").html["lang"] == "fr"
    assert "Accept-Language" not in response.get("Vary", "")


def test_the_switch_keeps_the_page_and_its_query(client):
    url = "/lieux/?q=wifi&ou=Rennes&type=epn"
    _, html = page(client, url)
    switch = html.select_one("a.language-switch")
    assert switch["hreflang"] == "en" and switch.text == "English"
    assert switch["href"].endswith("/en/lieux/?q=wifi&ou=Rennes&type=epn")
    _, english = page(client, switch["href"].split("testserver")[1])
    back = english.select_one("a.language-switch")
    assert back.text == "Français" and back["href"].endswith(url)
    alternates = {
        link["hreflang"]: link["href"]
        for link in english.select('link[rel="alternate"][hreflang]')
    }
    assert alternates["fr"].endswith(url) and alternates["x-default"].endswith(url)
    assert alternates["en"].endswith(f"/en{url}")


def test_the_sitemap_lists_both_languages(client):
    place = PlaceFactory(name="Espace de Rennes")
    index = client.get("/sitemap.xml").content.decode()
    section = re.search(
        r"<loc>http://testserver(/sitemap-lieux\.xml[^<]*)</loc>", index
    )
    xml = client.get(section[1]).content.decode()
    slug = place.get_absolute_url()
    assert f"<loc>http://testserver{slug}</loc>" in xml
    assert f"<loc>http://testserver/en{slug}</loc>" in xml
    assert f'hreflang="en" href="http://testserver/en{slug}"' in xml
    assert f'hreflang="x-default" href="http://testserver{slug}"' in xml


def test_reference_labels_are_in_english_on_english_pages(client):
    place = PlaceFactory(
        name="Espace de Rennes", services=["aide-aux-demarches-administratives"]
    )
    _, french = page(client, place.get_absolute_url())
    _, english = page(client, f"/en{place.get_absolute_url()}")
    assert "Aide aux démarches administratives" in french.text
    assert "Help with official paperwork" in english.text
    assert "Aide aux démarches administratives" not in english.text
    _, listing = page(client, "/en/lieux/")
    assert "Free Wi-Fi" in listing.text and "Public digital space" in listing.text


def test_cached_pages_and_counts_are_kept_per_language(client, settings):
    """Pages (and counts) are cached per language: without the language in their
    keys, English visitors got the French pages cached first."""
    settings.PAGE_CACHE_SECONDS = 600
    settings.COUNT_CACHE_SECONDS = 60
    PlaceFactory(name="Espace de Rennes")
    assert (
        "Aide aux démarches administratives" in client.get("/lieux/").content.decode()
    )
    english = client.get("/en/lieux/").content.decode()
    assert "Help with official paperwork" in english
    assert "Aide aux démarches administratives" not in english


def test_the_scripts_messages_are_given_in_english(client):
    _, english = page(client, "/en/carte/")
    messages = english.find("script", id="js-messages")
    assert '"Ouvert maintenant": "Open now"' in messages.string
    _, french = page(client, "/carte/")
    assert french.find("script", id="js-messages") is None


def test_needs_are_understood_in_everyday_english():
    cases = {
        "print a document": ("equipement", "imprimante-scanner"),
        "job search": ("service", "insertion-professionnelle-via-le-numerique"),
        "help with my phone": (
            "service",
            "maitrise-des-outils-numeriques-du-quotidien",
        ),
        "free wifi": ("equipement", "wifi"),
    }
    for query, code in cases.items():
        found = understand(query)
        assert found.needs and code in found.needs[0][0].means, query
        assert found.words == "", query


def test_an_english_search_finds_and_says_what_it_understood(client):
    printer = PlaceFactory(name="Espace de Rennes")
    printer.equipment.add(term("equipment", "imprimante-scanner"))
    PlaceFactory(name="Autre lieu de Rennes")
    _, html = page(client, "/en/lieux/?q=print+a+document+Rennes")
    assert "Printing, scanning" in html.text and "We understood:" in html.text
    titles = [a.text for a in html.select(".card__title a")]
    assert titles[0] == "Espace de Rennes"
    with translation.override("en"):
        assert str(commune("35238")) == "Rennes (35)"


# Found by the review of the change.


def test_english_words_do_not_change_french_searches():
    """ "j'ai" read "AI" (understanding the digital world), "courses" a workshop."""
    for query in ["j'ai un problème avec ma box", "faire mes courses en ligne",
                  "le résumé du roman"]:  # fmt: skip
        assert understand(query).needs == [], query


def test_map_popups_link_to_the_page_s_language(client):
    place = PlaceFactory(name="Espace de Rennes")
    english = client.get("/en/carte/lieux.geojson?zoom=16").json()
    french = client.get("/carte/lieux.geojson?zoom=16").json()
    assert english["features"][0]["properties"]["url"] == f"/en/lieux/{place.slug}/"
    assert french["features"][0]["properties"]["url"] == f"/lieux/{place.slug}/"


def test_texts_made_when_the_code_loads_follow_the_page(client):
    """The radius' help was formatted once, in French, when the filters loaded."""
    html = client.get("/en/lieux/?lat=48.11&lon=-1.68").content.decode()
    assert "10 km if you say nothing." in html and "si vous ne dites rien" not in html


def test_robots_keep_crawlers_out_of_both_languages_endless_searches(client):
    robots = client.get("/robots.txt").content.decode()
    for path in ["/lieux/?", "/carte/?", "/export/", "/lieux/proposer/"]:
        assert f"Disallow: {path}\n" in robots and f"Disallow: /en{path}\n" in robots


def test_a_missing_page_switches_to_the_other_language_s_home(client):
    html = BeautifulSoup(client.get("/en/nope/").content, "html.parser")
    assert html.select('link[rel="alternate"][hreflang]') == []
    assert html.select_one("a.language-switch")["href"] == "http://testserver/"
