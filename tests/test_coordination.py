"""Coordinators keep their territory: the scope holds at every boundary of the admin
(lists, forms, deletions, bulk actions, autocompletes, history, imports,
suggestions); citizens' suggestions reach exactly the right coordinators; history;
login lockout."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client
from django.utils import timezone

from coordination.models import Coordinator, Suggestion
from coordination.roles import GROUP_NAME
from places.models import Place, Territory

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db
PLACES = "/admin/places/place/"


def coordinator_client(name: str, *territories: tuple[str, str], national=False):
    user = User.objects.create_user(
        name, f"{name}@example.org", "un mot de passe solide 42", is_staff=True
    )
    user.groups.add(Group.objects.get(name=GROUP_NAME))
    profile = Coordinator.objects.create(user=user, national=national)
    profile.territories.set(
        Territory.objects.get(level=level, code=code) for level, code in territories
    )
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def bretagne():
    return coordinator_client("bretagne", ("region", "53"))


@pytest.fixture
def paca():
    return coordinator_client("paca", ("region", "93"))


@pytest.fixture
def rennes_place():
    return PlaceFactory(name="Espace de Rennes")


@pytest.fixture
def nice_place():
    return PlaceFactory(
        name="Espace de Nice", commune=commune("06088"), postal_code="06000"
    )


def form_data(html: bytes, form_id: str | None = None) -> dict:
    """What a browser would send for the page's form, as the test client takes it."""
    page = BeautifulSoup(html, "html.parser")
    form = page.find("form", id=form_id) if form_id else page.find("form")
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("type") in ("submit", "button", "file"):
            continue
        if field.name == "select":
            values = [
                o.get("value", "")
                for o in field.find_all("option")
                if o.has_attr("selected")
            ]
        elif field.name == "textarea":
            values = [field.text]
        elif field.get("type") in ("checkbox", "radio"):
            values = [field.get("value", "on")] if field.has_attr("checked") else []
        else:
            values = [field.get("value", "")]
        data.setdefault(name, []).extend(values)
    return data


# The scope, boundary by boundary.


def test_a_coordinator_lists_only_the_places_of_their_territory(
    bretagne, rennes_place, nice_place
):
    html = bretagne.get(PLACES).content.decode()
    assert "Espace de Rennes" in html and "Espace de Nice" not in html
    # Even when searching for it by name.
    assert "Espace de Nice" not in bretagne.get(PLACES, {"q": "Nice"}).content.decode()


@pytest.mark.parametrize(
    "path",
    ["{}/change/", "{}/history/", "{}/delete/"],
    ids=["change", "history", "delete"],
)
def test_another_territory_s_place_cannot_be_viewed_or_changed(
    bretagne, nice_place, path
):
    url = PLACES + path.format(nice_place.pk)
    refused = bretagne.get(url)
    assert refused.status_code == 403
    # In the admin's layout, saying why (not a bare "403 Forbidden").
    page = BeautifulSoup(refused.content, "html.parser")
    assert page.select_one("#site-name") and page.select_one(".errornote")
    assert "hors de votre territoire" in page.select_one(".errornote").get_text()
    assert bretagne.post(url, {"post": "yes", "name": "Piraté"}).status_code == 403
    nice_place.refresh_from_db()
    assert (
        nice_place.name == "Espace de Nice"
        and Place.objects.filter(pk=nice_place.pk).exists()
    )


def test_a_change_out_of_history_cannot_be_reverted_across_territories(
    bretagne, paca, nice_place
):
    record = nice_place.history.first()
    url = f"{PLACES}{nice_place.pk}/history/{record.history_id}/"
    assert bretagne.get(url).status_code == 403
    assert paca.get(url).status_code == 200


def test_a_bulk_action_reaching_outside_the_territory_is_refused_whole(
    bretagne, rennes_place, nice_place
):
    both = {"action": "withdraw", "_selected_action": [rennes_place.pk, nice_place.pk]}
    assert bretagne.post(PLACES, both).status_code == 403
    assert set(Place.objects.values_list("status", flat=True)) == {"published"}
    mine = {"action": "withdraw", "_selected_action": [rennes_place.pk]}
    assert bretagne.post(PLACES, mine).status_code == 302
    rennes_place.refresh_from_db()
    assert rennes_place.status == Place.Status.DRAFT
    # Recorded in the history, with who did it.
    last = rennes_place.history.first()
    assert (last.status, last.history_user) == ("draft", bretagne.user)


@pytest.mark.parametrize("model_name", ["place", "Place", "PLACE"])
def test_the_commune_autocomplete_offers_only_the_territory_s_communes(
    bretagne, model_name
):
    def names(term):
        response = bretagne.get(
            "/admin/autocomplete/",
            {
                "app_label": "places",
                "model_name": model_name,
                "field_name": "commune",
                "term": term,
            },
        )
        assert response.status_code == 200
        return [result["text"] for result in response.json()["results"]]

    assert any("Brest" in name for name in names("Brest"))
    assert names("Nice") == []


def test_a_place_cannot_be_moved_into_another_territory(bretagne, rennes_place):
    url = f"{PLACES}{rennes_place.pk}/change/"
    data = form_data(bretagne.get(url).content, "place_form")
    data["commune"] = [str(commune("06088").pk)]
    response = bretagne.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "est hors de votre territoire" in response.content.decode()
    rennes_place.refresh_from_db()
    assert rennes_place.commune.code == "35238"
    # Within the territory, the same form saves (and keeps who changed what).
    data["commune"] = [str(commune("29019").pk)]
    data["name"] = ["Espace de Brest"]
    assert bretagne.post(url, data).status_code == 302
    rennes_place.refresh_from_db()
    assert (rennes_place.name, rennes_place.commune.code) == (
        "Espace de Brest",
        "29019",
    )
    assert rennes_place.history.first().history_user == bretagne.user


def test_national_administrators_see_everything_and_other_staff_nothing(
    rennes_place, nice_place
):
    national = coordinator_client("national", national=True)
    html = national.get(PLACES).content.decode()
    assert "Espace de Rennes" in html and "Espace de Nice" in html
    nobody = coordinator_client("personne")
    html = nobody.get(PLACES).content.decode()
    assert "Espace de Rennes" not in html and "Espace de Nice" not in html
    assert nobody.get(f"{PLACES}{rennes_place.pk}/change/").status_code == 403


def test_a_departement_or_an_epci_scope_is_enforced_the_same_way(
    rennes_place, nice_place
):
    ille = coordinator_client("ille", ("departement", "35"))
    assert ille.get(f"{PLACES}{rennes_place.pk}/change/").status_code == 200
    assert ille.get(f"{PLACES}{nice_place.pk}/change/").status_code == 403
    epci = commune("35238").epci
    metropole = coordinator_client("metropole", ("epci", epci.code))
    assert metropole.get(f"{PLACES}{rennes_place.pk}/change/").status_code == 200
    assert metropole.get(f"{PLACES}{nice_place.pk}/change/").status_code == 403


def test_only_national_administrators_manage_coordinators(bretagne):
    assert bretagne.get("/admin/coordination/coordinator/").status_code == 403


def test_staff_without_the_right_to_add_places_cannot_import():
    user = User.objects.create_user("lecteur", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    assert client.get(f"{PLACES}importer/").status_code == 403


# Citizens' suggestions.


def suggest(client, place, **data):
    return client.post(
        f"/lieux/{place.slug}/signaler/",
        {"field": "phone", "proposed_value": "02 99 00 00 00", **data},
        REMOTE_ADDR=data.pop("ip", "192.0.2.1"),
    )


def test_a_suggestion_reaches_exactly_the_coordinators_of_the_place(
    client, bretagne, paca, nice_place
):
    ille = coordinator_client("ille", ("departement", "35"))
    alpes = coordinator_client("alpes", ("departement", "06"))
    response = suggest(client, nice_place, comment="Le numéro a changé.")
    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200  # the confirmation
    suggestion = Suggestion.objects.get()
    assert suggestion.current_value == nice_place.phone
    assert sorted(mail.outbox[0].to) == ["alpes@example.org", "paca@example.org"]
    assert "Espace de Nice" in mail.outbox[0].subject
    # The queue: theirs, not the others'.
    queue = "/admin/coordination/suggestion/"
    assert "Espace de Nice" in paca.get(queue).content.decode()
    assert "Espace de Nice" in alpes.get(queue).content.decode()
    assert "Espace de Nice" not in bretagne.get(queue).content.decode()
    assert "Espace de Nice" not in ille.get(queue).content.decode()
    url = f"{queue}{suggestion.pk}/change/"
    assert bretagne.get(url).status_code == 403
    assert bretagne.post(url, {"_accept": "1"}).status_code == 403
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


def test_accepting_a_suggestion_applies_it_and_records_who(client, paca, nice_place):
    suggest(
        client, nice_place, field="opening_hours", proposed_value="Mo-Fr 10:00-17:00"
    )
    suggestion = Suggestion.objects.get()
    url = f"/admin/coordination/suggestion/{suggestion.pk}/change/"
    assert "Appliquer la valeur" in paca.get(url).content.decode()
    assert paca.post(url, {"_accept": "1"}).status_code == 302
    nice_place.refresh_from_db()
    assert nice_place.opening_hours == "Mo-Fr 10:00-17:00"
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("accepted", paca.user)
    last = nice_place.history.first()
    assert last.history_user == paca.user
    assert last.history_change_reason == f"Suggestion n°{suggestion.pk} acceptée"


def test_a_suggestion_that_does_not_fit_is_not_applied(client, paca, nice_place):
    suggest(client, nice_place, proposed_value="pas un numéro")
    suggestion = Suggestion.objects.get()
    url = f"/admin/coordination/suggestion/{suggestion.pk}/change/"
    response = paca.post(url, {"_accept": "1"}, follow=True)
    assert "Numéro de téléphone illisible" in response.content.decode()
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING
    assert paca.post(url, {"_reject": "1"}).status_code == 302
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.REJECTED


def test_hours_as_citizens_write_them_are_offered_in_osm_and_applied(
    client, paca, nice_place
):
    """The form's own example, "lundi 9h-12h", was refused as invalid hours."""
    suggest(client, nice_place, field="opening_hours", proposed_value="lundi 9h-12h")
    suggestion = Suggestion.objects.get()
    url = f"/admin/coordination/suggestion/{suggestion.pk}/change/"
    page = BeautifulSoup(paca.get(url).content, "html.parser")
    assert page.find("input", {"name": "applied_value"})["value"] == "Mo 09:00-12:00"
    assert page.find(attrs={"data-hours-editor": True})  # with the hours editor
    assert (
        paca.post(url, {"applied_value": "Mo 09:00-12:00", "_accept": "1"}).status_code
        == 302
    )
    nice_place.refresh_from_db()
    assert nice_place.opening_hours == "Mo 09:00-12:00"
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.applied_value) == (
        "accepted",
        "Mo 09:00-12:00",
    )


def test_the_coordinator_corrects_the_value_before_applying_it(
    client, paca, nice_place
):
    suggest(client, nice_place, field="opening_hours", proposed_value="le matin")
    suggestion = Suggestion.objects.get()
    url = f"/admin/coordination/suggestion/{suggestion.pk}/change/"
    paca.post(url, {"applied_value": "Mo-Fr 09:00-12:00", "_accept": "1"})
    nice_place.refresh_from_db()
    assert nice_place.opening_hours == "Mo-Fr 09:00-12:00"
    assert Suggestion.objects.get().proposed_value == "le matin"  # as written


def test_a_suggestion_handled_by_hand_changes_nothing_itself(client, paca, nice_place):
    suggest(client, nice_place, field="other", comment="Le lieu a déménagé.")
    suggestion = Suggestion.objects.get()
    url = f"/admin/coordination/suggestion/{suggestion.pk}/change/"
    before = nice_place.history.count()
    response = paca.post(url, {"_handled": "1"}, follow=True)
    assert "traitée à la main" in response.content.decode()
    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by) == ("handled", paca.user)
    assert nice_place.history.count() == before
    # Decided: the value can no longer be edited nor applied.
    assert paca.post(url, {"applied_value": "x", "_accept": "1"}).status_code == 302
    assert Suggestion.objects.get().applied_value == ""


def test_the_suggestion_form_is_protected(nice_place):
    # CSRF.
    strict = Client(enforce_csrf_checks=True)
    assert suggest(strict, nice_place).status_code == 403
    client = Client()
    # The honeypot: a robot is thanked, nothing is kept.
    assert suggest(client, nice_place, website="http://spam.example").status_code == 302
    assert not Suggestion.objects.exists()
    # Length limits.
    response = suggest(client, nice_place, proposed_value="x" * 501, ip="192.0.2.2")
    assert response.status_code == 200 and not Suggestion.objects.exists()
    # A rate limit per address (5 an hour), and others still get through.
    statuses = [
        suggest(client, nice_place, ip="192.0.2.3").status_code for _ in range(6)
    ]
    assert statuses == [302] * 5 + [429]
    assert suggest(client, nice_place, ip="192.0.2.4").status_code == 302


def test_what_citizens_write_is_escaped_in_the_admin(client, paca, nice_place):
    suggest(client, nice_place, field="other", comment="<script>alert(1)</script>")
    suggestion = Suggestion.objects.get()
    html = paca.get(f"/admin/coordination/suggestion/{suggestion.pk}/change/").content
    assert b"<script>alert(1)</script>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in html


# Freshness, completeness, login.


def test_freshness_and_missing_information_filters(bretagne):
    fresh = PlaceFactory(name="Frais", verified_at=timezone.now())
    stale = PlaceFactory(
        name="Ancien",
        verified_at=timezone.now() - dt.timedelta(days=400),
        opening_hours="",
    )
    html = bretagne.get(PLACES, {"verification": "stale"}).content.decode()
    assert stale.name in html and fresh.name not in html
    html = bretagne.get(PLACES, {"manque": "hours"}).content.decode()
    assert stale.name in html and fresh.name not in html


def test_the_public_page_says_when_the_place_was_verified(client):
    place = PlaceFactory(verified_at=timezone.now() - dt.timedelta(days=92))
    html = client.get(place.get_absolute_url()).content.decode()
    assert "Informations vérifiées il y a 3" in html
    assert f"/lieux/{place.slug}/signaler/" in html


def test_mark_verified_today(bretagne, rennes_place):
    bretagne.post(
        PLACES, {"action": "mark_verified", "_selected_action": [rennes_place.pk]}
    )
    rennes_place.refresh_from_db()
    # Today in France (between 23:00 and midnight UTC, the UTC date is yesterday's).
    assert timezone.localdate(rennes_place.verified_at) == timezone.localdate()


def test_logins_are_locked_after_repeated_failures(bretagne):
    client = Client()
    statuses = [
        client.post(
            "/admin/login/", {"username": "bretagne", "password": "faux"}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    locked = client.post(
        "/admin/login/",
        {"username": "bretagne", "password": "un mot de passe solide 42"},
    )
    assert locked.status_code == 429
    assert "Connexion bloquée" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_dashboard_counts_what_needs_doing_in_the_territory(
    client, bretagne, rennes_place, nice_place
):
    suggest(client, nice_place)
    suggest(client, rennes_place, ip="192.0.2.9")
    suggest(client, rennes_place, ip="192.0.2.9", field="name", proposed_value="X")
    PlaceFactory(name="1", commune=commune("35238"))  # flagged: an identifier
    PlaceFactory(name="12", commune=commune("06088"), postal_code="06000")  # Nice
    page = BeautifulSoup(bretagne.get("/admin/").content, "html.parser")

    def table(selector):
        return {
            row.th.get_text(strip=True): (row.td.get_text(strip=True), row.a["href"])
            for row in page.select(f"{selector} tr")
        }

    todo = table("#a-faire")
    assert todo["Suggestions des citoyens à traiter"][0] == "2"  # not Nice's
    label = "Nom qui ressemble à un identifiant"
    count, link = todo[label]
    assert count == "1" and "signalement=name_identifier" in link
    # Only what needs doing: nothing to say of the dates here.
    assert "Date de mise à jour inconnue" not in todo
    # Freshness is a state, not a to-do.
    assert "Lieux non vérifiés depuis 12 mois" not in todo
    freshness = table("#fraicheur")
    assert freshness["Non vérifiés depuis 12 mois ou jamais"][0] == "2"
    # Each link leads to exactly the places counted (closed ones are neither).
    PlaceFactory(name="Fermé", status="closed", opening_hours="")
    PlaceFactory(name="Sans horaires", opening_hours="")
    page = BeautifulSoup(bretagne.get("/admin/").content, "html.parser")
    for count, link in table("#a-faire").values():
        if link.startswith(PLACES):
            listed = BeautifulSoup(bretagne.get(link).content, "html.parser")
            assert len(listed.select("#result_list tbody tr")) == int(count), link


def test_the_demo_places_have_the_history_of_their_import():
    """Loaded through the real import, the demo places have its history (one row
    each, in bulk), and the three whose status the standard cannot say, the save
    that set it."""
    from .conftest import load_demo

    load_demo()
    demo = Place.history.filter(source="demo")
    assert demo.values("id").distinct().count() == 63
    reasons = list(demo.values_list("history_change_reason", flat=True))
    assert reasons.count("import : demo_places.csv") == 63
    assert len(reasons) == 63 + 3


def test_the_history_of_a_first_edit_is_in_french_with_only_the_change(
    bretagne, tmp_path
):
    from places.exchange.importer import import_places

    from .test_import import v1_row, write_csv

    import_places(write_csv(tmp_path / "a.csv", [v1_row()]))
    place = Place.objects.get()
    url = f"{PLACES}{place.pk}/change/"
    data = form_data(bretagne.get(url).content, "place_form")
    data["phone"] = ["+33299999999"]
    assert bretagne.post(url, data).status_code == 302
    history = BeautifulSoup(
        bretagne.get(f"{PLACES}{place.pk}/history/").content, "html.parser"
    )
    table = history.select_one("#change-history")
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert "Modifications" in headers and "Changes" not in headers
    first_edit = table.select("tbody tr")[0]
    changes = [li.get_text(" ", strip=True) for li in first_edit.select("li")]
    assert len(changes) == 1 and "+33299999999" in changes[0]  # no links from []
    assert "None" not in table.get_text()
    assert history.select_one("#change-history").find_parent().get("style") is None


def test_a_coordinator_sees_and_reverts_a_change_in_the_history(bretagne, rennes_place):
    url = f"{PLACES}{rennes_place.pk}/change/"
    data = form_data(bretagne.get(url).content, "place_form")
    data["name"] = ["Nom erroné"]
    assert bretagne.post(url, data).status_code == 302
    history = bretagne.get(f"{PLACES}{rennes_place.pk}/history/").content.decode()
    assert "Nom erroné" in history or "bretagne" in history
    first = rennes_place.history.order_by("history_date").first()
    revert_url = f"{PLACES}{rennes_place.pk}/history/{first.history_id}/"
    data = form_data(bretagne.get(revert_url).content, "historicalplace_form")
    assert data["name"] == ["Espace de Rennes"]
    assert bretagne.post(revert_url, data).status_code == 302
    rennes_place.refresh_from_db()
    assert rennes_place.name == "Espace de Rennes"
    assert rennes_place.history.first().history_user == bretagne.user
