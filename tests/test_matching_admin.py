"""One place, once, in the admin: the queue of possible duplicates (merged or told
apart, by coordinators of both places' territory only), « Séparer » on a place's
page, and a coordinator's edit kept as a local change."""

import os

import pytest
from bs4 import BeautifulSoup

from places import merging
from places.exchange.importer import import_places
from places.matching import match, pairs_of
from places.models import MatchCandidate, Place, Source, SourceRecord

from .browsing import CHROMIUM, launch, opened
from .test_coordination import PLACES, coordinator_client, form_data
from .test_import import v1_row, write_csv

pytestmark = pytest.mark.django_db
PAIRS = "/admin/places/matchcandidate/"
PENDING = MatchCandidate.Decision.PENDING

# Two producers' rows of one tiers-lieu: names alike, addresses not (a coordinator
# must look: the rules are not sure).
RENNES = [
    {"source": "hubik", "id": "q-1"},
    {
        "source": "cnfs",
        "id": "cnfs-77",
        "nom": "Quincaillerie numérique de Villejean",
        "adresse": "5 avenue Winston Churchill",
        "latitude": "48.1205",
        "longitude": "-1.7065",
        "pivot": "",
        "telephone": "+33299111111",
    },
]
NICE = [
    {**row, "commune": "Nice", "code_postal": "06000", "code_insee": "06088"}
    | {"latitude": "43.7031", "longitude": "7.2661", "id": f"nice-{row['id']}"}
    for row in RENNES
]


def imported(tmp_path, rows: list[dict]) -> list[Place]:
    """Each row imported from its own source's file (the real import and its
    matching), in order; their places."""
    places = []
    for values in rows:
        path = tmp_path / f"{values['source']}-{values['id']}.csv"
        import_places(write_csv(path, [v1_row(**values)]))
        places.append(
            Place.objects.get(source=values["source"], source_id=values["id"])
        )
    return places


@pytest.fixture
def national():
    return coordinator_client("nationale", national=True)


@pytest.fixture
def bretagne():
    return coordinator_client("bretagne", ("region", "53"))


@pytest.fixture
def rennes_pair(tmp_path):
    first, second = imported(tmp_path, RENNES)
    return MatchCandidate.objects.get(first=first, second=second)


@pytest.fixture
def nice_pair(tmp_path):
    first, second = imported(tmp_path, NICE)
    return MatchCandidate.objects.get(first=first, second=second)


def rows_of(html: bytes) -> list:
    return BeautifulSoup(html, "html.parser").select("#result_list tbody tr")


def records_of(place: Place) -> set[tuple[str, str]]:
    return set(place.records.values_list("source", "source_id"))


def test_a_national_coordinator_merges_a_pending_pair(national, rennes_pair, nice_pair):
    first, second = rennes_pair.first, rennes_pair.second
    assert len(rows_of(national.get(PAIRS).content)) == 2  # every territory
    page = national.get(f"{PAIRS}{rennes_pair.pk}/change/")
    assert page.status_code == 200
    compared = BeautifulSoup(page.content, "html.parser")
    table = compared.select_one("#pair-comparison").get_text(" ")
    assert first.name in table and "Quincaillerie numérique de Villejean" in table
    assert "5 avenue Winston Churchill" in table and "hubik · q-1" in table
    links = {a["href"] for a in compared.select("#pair-comparison thead a")}
    assert links == {f"{PLACES}{first.pk}/change/", f"{PLACES}{second.pk}/change/"}
    merge_url = f"{PAIRS}{rennes_pair.pk}/fusionner/"
    assert national.get(merge_url).status_code == 405

    done = national.post(merge_url)
    # On to the next pair to examine.
    assert done.status_code == 302
    assert done["Location"] == f"{PAIRS}{nice_pair.pk}/change/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert records_of(first) == {("hubik", "q-1"), ("cnfs", "cnfs-77")}
    assert not second.records.exists()
    assert (second.status, second.merged_into) == (Place.Status.MERGED, first)
    assert first.status == Place.Status.PUBLISHED
    rennes_pair.refresh_from_db()
    assert rennes_pair.decision == MatchCandidate.Decision.MERGED
    assert (rennes_pair.decided_by, rennes_pair.automatic) == (national.user, False)

    decided = BeautifulSoup(
        national.get(f"{PAIRS}{rennes_pair.pk}/change/").content, "html.parser"
    )
    said = decided.select_one("#pair-decision").get_text(" ")
    assert "fusionnés" in said and "nationale" in said
    assert decided.select_one("#pair-decisions") is None
    # Decided once: a second click changes nothing.
    again = national.post(merge_url, follow=True)
    assert "déjà été décidé" in again.content.decode()
    assert national.post(f"{PAIRS}{rennes_pair.pk}/distincts/").status_code == 302
    rennes_pair.refresh_from_db()
    assert rennes_pair.decision == MatchCandidate.Decision.MERGED


def test_a_decision_needs_the_csrf_token(national, rennes_pair):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(national.user)
    page = strict.get(f"{PAIRS}{rennes_pair.pk}/change/")
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content
    assert strict.post(f"{PAIRS}{rennes_pair.pk}/fusionner/").status_code == 403
    rennes_pair.refresh_from_db()
    assert rennes_pair.decision == PENDING


def test_not_the_same_place_is_remembered_and_never_proposed_again(
    bretagne, rennes_pair, nice_pair
):
    first, second = rennes_pair.first, rennes_pair.second
    done = bretagne.post(f"{PAIRS}{rennes_pair.pk}/distincts/")
    # No pending pair left in Bretagne (Nice's is not theirs): back to the queue.
    assert done.status_code == 302 and done["Location"] == PAIRS
    rennes_pair.refresh_from_db()
    assert rennes_pair.decision == MatchCandidate.Decision.DISTINCT
    assert rennes_pair.decided_by == bretagne.user
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == Place.Status.PUBLISHED
    assert records_of(second) == {("cnfs", "cnfs-77")}

    outcome = match([first.pk, second.pk])
    assert outcome.merged == [] and pairs_of([first.pk, second.pk]) == []
    pair = MatchCandidate.objects.filter(first=first, second=second)
    assert list(pair.values_list("decision", flat=True)) == ["distinct"]
    assert not MatchCandidate.objects.filter(
        decision=PENDING, first__in=[first, second]
    ).exists()
    # Nor listed among the pairs to examine.
    assert rows_of(bretagne.get(PAIRS).content) == []


def test_a_coordinator_neither_sees_nor_decides_another_territory_s_pair(
    bretagne, rennes_pair, nice_pair
):
    listed = rows_of(bretagne.get(PAIRS).content)
    assert len(listed) == 1
    row = listed[0].get_text(" ")
    assert "Rennes" in row and "Nice" not in row
    assert f"{round(rennes_pair.score * 100)} %" in row
    assert len(rows_of(bretagne.get(PAIRS, {"decision": "all"}).content)) == 1
    before = snapshot(nice_pair)
    url = f"{PAIRS}{nice_pair.pk}/"
    assert bretagne.get(f"{url}change/").status_code == 403
    assert bretagne.post(f"{url}fusionner/").status_code == 403
    assert bretagne.post(f"{url}distincts/").status_code == 403
    assert snapshot(nice_pair) == before
    # A pair with one place in each territory is not theirs either.
    merging.remember(rennes_pair.first, nice_pair.second, PENDING)
    across = MatchCandidate.objects.get(
        first__in=[rennes_pair.first, nice_pair.second],
        second__in=[rennes_pair.first, nice_pair.second],
    )
    assert len(rows_of(bretagne.get(PAIRS).content)) == 1
    assert bretagne.post(f"{PAIRS}{across.pk}/fusionner/").status_code == 403
    across.refresh_from_db()
    assert across.decision == PENDING


def snapshot(pair: MatchCandidate) -> tuple:
    pair.refresh_from_db()
    places = Place.objects.filter(pk__in=[pair.first_id, pair.second_id])
    return (
        pair.decision,
        pair.decided_by_id,
        sorted(places.values_list("pk", "status", "name")),
        sorted(SourceRecord.objects.values_list("pk", "place_id")),
    )


def test_a_pair_follows_a_merge_and_waits_while_a_place_is_closed(
    national, rennes_pair, tmp_path
):
    third_row = {
        "source": "region", "id": "r-9", "nom": "Tiers-lieu de Villejean",
        "adresse": "9 rue de Saint-Malo", "latitude": "48.115", "longitude": "-1.69",
    }  # fmt: skip
    (third,) = imported(tmp_path, [third_row])
    first = rennes_pair.first
    merging.merge(third, rennes_pair.second)
    # The pair is now about the place kept (it could no longer be decided).
    assert not MatchCandidate.objects.filter(pk=rennes_pair.pk).exists()
    pair = MatchCandidate.objects.get(
        first=min(first.pk, third.pk), second=max(first.pk, third.pk)
    )
    assert pair.decision == PENDING
    # Both places closed meanwhile: the pair waits, nothing can be decided.
    Place.objects.filter(pk__in=[first.pk, third.pk]).update(status=Place.Status.CLOSED)
    before = snapshot(pair)
    page = national.get(f"{PAIRS}{pair.pk}/change/")
    shown = BeautifulSoup(page.content, "html.parser")
    assert shown.select_one("#pair-blocked") and not shown.select_one("#pair-decisions")
    refused = national.post(f"{PAIRS}{pair.pk}/fusionner/", follow=True)
    assert "n’est plus publié" in refused.content.decode()
    assert snapshot(pair) == before


def test_an_automatic_merge_says_so(national, tmp_path):
    # The same place from two producers: the rules are sure, the import merges.
    first, second = imported(
        tmp_path, [{"source": "hubik", "id": "q-1"}, {"source": "cnfs", "id": "c-1"}]
    )
    pair = MatchCandidate.objects.get(first=first, second=second)
    assert (pair.decision, pair.automatic) == ("merged", True)
    page = BeautifulSoup(
        national.get(f"{PAIRS}{pair.pk}/change/").content, "html.parser"
    )
    assert "automatiquement" in page.select_one("#pair-decision").get_text()
    listed = national.get(PAIRS, {"decision": "merged"}).content
    assert len(rows_of(listed)) == 1


def test_separate_gives_a_merged_place_back(bretagne, rennes_pair):
    first, second = rennes_pair.first, rennes_pair.second
    Source.objects.filter(code="cnfs").update(name="Conseillers numériques")
    merging.merge(first, second)
    merged_page = BeautifulSoup(
        bretagne.get(f"{PLACES}{second.pk}/change/").content, "html.parser"
    )
    notice = merged_page.select_one("#merged-notice")
    assert notice.a["href"] == f"{PLACES}{first.pk}/change/"

    page = BeautifulSoup(
        bretagne.get(f"{PLACES}{first.pk}/change/").content, "html.parser"
    )
    records = page.select("#source-records tbody")
    shown = [group.get_text(" ", strip=True) for group in records]
    assert len(shown) == 2
    assert shown[0].startswith("hubik · q-1") and "Séparer" not in shown[0]
    assert shown[1].startswith("Conseillers numériques · cnfs-77")
    assert "Quincaillerie numérique de Villejean Séparer" in shown[1]
    forms = page.select("#source-records form")
    assert len(forms) == 1 and forms[0]["method"] == "post"
    assert forms[0].select_one("input[name=csrfmiddlewaretoken]")
    origins = {th.get_text() for th in page.select("#field-provenance tbody th")}
    assert origins == {"Conseillers numériques", "hubik"}  # hubik: its SIRET
    record = SourceRecord.objects.get(source="cnfs", source_id="cnfs-77")
    url = forms[0]["action"]
    assert url == f"{PLACES}{first.pk}/separer/{record.pk}/"
    assert bretagne.get(url).status_code == 405

    done = bretagne.post(url)
    assert (
        done.status_code == 302 and done["Location"] == f"{PLACES}{second.pk}/change/"
    )
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Place.Status.PUBLISHED, None)
    assert second.name == "Quincaillerie numérique de Villejean"
    assert second.phone == "+33299111111"
    assert records_of(second) == {("cnfs", "cnfs-77")}
    first.refresh_from_db()
    assert first.name == "La Quincaillerie numérique"
    assert records_of(first) == {("hubik", "q-1")}
    rennes_pair.refresh_from_db()
    assert rennes_pair.decision == MatchCandidate.Decision.DISTINCT
    assert rennes_pair.decided_by == bretagne.user


def test_separate_is_refused_outside_the_territory(bretagne, nice_pair, rennes_pair):
    merging.merge(nice_pair.first, nice_pair.second)
    record = SourceRecord.objects.get(place=nice_pair.first, source="cnfs")
    before = snapshot(nice_pair)
    url = f"{PLACES}{nice_pair.first_id}/separer/{record.pk}/"
    assert bretagne.post(url).status_code == 403
    assert snapshot(nice_pair) == before
    # Nor a place of theirs given back to another territory.
    merging.merge(rennes_pair.first, nice_pair.first)
    moved = SourceRecord.objects.get(source="hubik", source_id="nice-q-1")
    url = f"{PLACES}{rennes_pair.first_id}/separer/{moved.pk}/"
    assert bretagne.post(url).status_code == 403
    moved.refresh_from_db()
    assert moved.place_id == rennes_pair.first_id


def test_a_coordinator_s_edit_becomes_a_local_change(bretagne, tmp_path):
    (place,) = imported(tmp_path, [{"source": "hubik", "id": "q-1"}])
    url = f"{PLACES}{place.pk}/change/"
    data = form_data(bretagne.get(url).content, "place_form")
    data["phone"] = ["+33299999999"]
    assert bretagne.post(url, data).status_code == 302
    place.refresh_from_db()
    assert place.local_fields == ["phone"]
    assert place.provenance["phone"] == merging.LOCAL
    page = BeautifulSoup(bretagne.get(url).content, "html.parser")
    rows = {
        row.th.get_text(strip=True): row.td.get_text(strip=True)
        for row in page.select("#field-provenance tbody tr")
    }
    assert rows["modifié localement"] == "téléphone"
    # The producer's next file does not take it back.
    row = v1_row(source="hubik", id="q-1", telephone="+33299000001", nom="Renommé")
    import_places(write_csv(tmp_path / "again.csv", [row]))
    place.refresh_from_db()
    assert (place.phone, place.name) == ("+33299999999", "Renommé")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium not found")
def test_the_sources_and_the_comparison_fit_a_phone(national, rennes_pair):
    """At 390 px, neither the sources of a place nor the comparison of a pair makes
    the page scroll sideways. No server: the pages are read first with the test
    client (the test's own data, which Playwright's callbacks could not see), then
    served to Chromium with the admin's static files; the page also checks that
    the Content-Security-Policy refuses nothing (no inline style)."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    from django.contrib.staticfiles import finders
    from playwright.sync_api import sync_playwright

    def key(path: str) -> tuple:
        path, _, query = path.partition("?")
        return path, tuple(sorted(parse_qsl(query)))

    merging.merge(rennes_pair.first, rennes_pair.second)
    SourceRecord.objects.filter(source="cnfs").update(
        source_id="identifiant-tres-long-" + "x" * 60
    )
    blocks = {
        f"{PLACES}{rennes_pair.first_id}/change/": "#place-sources",
        f"{PAIRS}{rennes_pair.pk}/change/": "#pair-comparison",
        f"{PAIRS}?decision=all": "#changelist",
    }
    hours = rennes_pair.first.opening_hours
    # What the pages ask for themselves: the admin's translations, the hours' preview.
    asked = ["/admin/jsi18n/", f"/horaires/apercu/?{urlencode({'value': hours})}"]
    pages = {key(path): national.get(path) for path in [*blocks, *asked]}

    def answer(route):
        url = urlsplit(route.request.url)
        response = pages.get(key(url.path + "?" + url.query))
        if response is not None:
            return route.fulfill(
                status=response.status_code,
                headers=dict(response.items()),
                body=response.content,
            )
        found = url.path.startswith("/static/") and finders.find(url.path[8:])
        return route.fulfill(path=found) if found else route.fulfill(status=404)

    # Its own Chromium, once the pages are read: with the module's `browser`
    # fixture, pytest found the test database still in use when dropping it.
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            with opened(browser, 390) as page:
                page.route("**/*", answer)
                for path, block in blocks.items():
                    assert pages[key(path)].status_code == 200
                    page.goto("http://admin.test" + path)
                    right = page.evaluate(
                        f"document.querySelector('{block}')"
                        ".getBoundingClientRect().right"
                    )
                    assert right <= 390, (path, right)
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= 390, (path, width)
        finally:
            browser.close()


def test_merged_is_a_status_only_a_merge_gives_or_takes(bretagne, rennes_pair):
    """The place form offers no "fusionné", and a merged place's status cannot be
    changed there nor by the list's actions (found by a review: a merged place
    set "publié" by hand was served, still merged)."""
    first, second = rennes_pair.first, rennes_pair.second
    form = BeautifulSoup(
        bretagne.get(f"{PLACES}{first.pk}/change/").content, "html.parser"
    )
    offered = {o["value"] for o in form.select("select[name=status] option")}
    assert Place.Status.MERGED not in offered and Place.Status.PUBLISHED in offered
    merging.merge(first, second)
    form = BeautifulSoup(
        bretagne.get(f"{PLACES}{second.pk}/change/").content, "html.parser"
    )
    assert form.select_one("select[name=status]") is None  # read only
    bretagne.post(
        PLACES,
        {"action": "publish", "_selected_action": [second.pk, first.pk]},
    )
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Place.Status.MERGED, first)
    response = bretagne.get(f"/lieux/{second.slug}/")
    assert response.status_code == 301


def test_a_merge_is_neither_undone_nor_redone_from_the_history(bretagne, rennes_pair):
    """Reverting to a version saved the whole old place, its status and
    `merged_into` included, while its records stayed where they were (found by a
    review). Only "Séparer" undoes a merge."""
    first, second = rennes_pair.first, rennes_pair.second
    form = form_data(bretagne.get(f"{PLACES}{second.pk}/change/").content, "place_form")
    merging.merge(first, second)
    before = second.history.filter(status=Place.Status.PUBLISHED).earliest(
        "history_date"
    )
    url = f"{PLACES}{second.pk}/history/{before.history_id}/"
    for response in (
        bretagne.get(url, follow=True),
        bretagne.post(url, form, follow=True),
    ):
        assert "Séparer" in response.content.decode()
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Place.Status.MERGED, first)
    # Nor a separated place sent back into its merge.
    record = SourceRecord.objects.get(place=first, source="cnfs")
    merging.unmerge(record)
    merged = second.history.filter(status=Place.Status.MERGED).latest("history_date")
    url = f"{PLACES}{second.pk}/history/{merged.history_id}/"
    bretagne.post(url, form, follow=True)
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Place.Status.PUBLISHED, None)
