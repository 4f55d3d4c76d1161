"""Anyone proposes a missing place (/lieux/proposer/): nothing public until a
coordinator of its territory accepts it, in the corrections' queue, with the places
it may already be; accepted it is a place found by the search, refused nothing is
created; the person is told in their language; the form is protected like the
correction form."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from coordination.models import Suggestion
from coordination.proposals import accept, find_commune
from places.models import Place

from .factories import PlaceFactory, commune
from .test_coordination import coordinator_client

pytestmark = pytest.mark.django_db
QUEUE = "/admin/coordination/suggestion/"
NAME = "Atelier numérique de la Buffa"


def propose(client, path="/lieux/proposer/", ip="192.0.2.10", **data):
    fields = {
        "name": NAME,
        "kind": "epn",
        "address": "12 rue de la Buffa",
        "town": "06000 Nice",
        "phone": "04 93 00 00 00",
        "opening_hours": "du lundi au vendredi de 9h à 12h",
        "services": ["aide-aux-demarches-administratives"],
        "comment": "Ouvert depuis septembre.",
        "email": "habitante@example.org",
        **data,
    }
    return client.post(path, fields, REMOTE_ADDR=ip)


@pytest.fixture
def paca():
    return coordinator_client("paca", ("region", "93"))


@pytest.fixture
def bretagne():
    return coordinator_client("bretagne", ("region", "53"))


def test_a_proposal_reaches_only_its_territory_s_coordinators_and_is_not_public(
    client, paca, bretagne
):
    alpes = coordinator_client("alpes", ("departement", "06"))
    places_before = Place.objects.count()
    response = propose(client)
    assert response.status_code == 302
    assert response["Location"] == "/lieux/proposer/merci/"
    assert client.get(response["Location"]).status_code == 200
    proposal = Suggestion.objects.get()
    assert (proposal.field, proposal.status) == ("new_place", "pending")
    assert proposal.commune == commune("06088")
    assert proposal.place is None
    assert proposal.proposal["opening_hours"] == "Mo-Fr 09:00-12:00"
    assert proposal.proposal["phone"] == "+33493000000"
    assert proposal.proposal["postal_code"] == "06000"
    # Nowhere public: no place, not in the search, the map or the API.
    assert Place.objects.count() == places_before
    for url in ["/lieux/?q=Buffa", "/carte/lieux.geojson?q=Buffa", "/api/v1/lieux/"]:
        assert "rue de la Buffa" not in client.get(url).content.decode()
    # The coordinators of Nice are told; Bretagne's are not.
    assert sorted(mail.outbox[0].to) == ["alpes@example.org", "paca@example.org"]
    assert NAME in mail.outbox[0].subject
    assert NAME in paca.get(QUEUE).content.decode()
    assert NAME in alpes.get(QUEUE).content.decode()
    assert NAME not in bretagne.get(QUEUE).content.decode()
    url = f"{QUEUE}{proposal.pk}/change/"
    assert bretagne.get(url).status_code == 403
    assert bretagne.post(url, {"_accept": "1"}).status_code == 403
    assert (
        bretagne.post(
            QUEUE, {"action": "reject_selected", "_selected_action": [proposal.pk]}
        ).status_code
        == 403
    )
    proposal.refresh_from_db()
    assert proposal.status == "pending" and Place.objects.count() == places_before


def test_accepted_it_is_a_place_found_by_the_search_with_its_history(client, paca):
    propose(client)
    proposal = Suggestion.objects.get()
    url = f"{QUEUE}{proposal.pk}/change/"
    page = paca.get(url).content.decode()
    assert "Créer le lieu" in page and "12 rue de la Buffa" in page
    response = paca.post(url, {"_accept": "1"})
    place = Place.objects.get(name=NAME)
    assert response["Location"] == f"/admin/places/place/{place.pk}/change/"
    assert (place.status, place.commune, place.postal_code) == (
        "published", commune("06088"), "06000"
    )  # fmt: skip
    assert [k.code for k in place.kinds.all()] == ["epn"]
    assert [s.code for s in place.services.all()] == [
        "aide-aux-demarches-administratives"
    ]
    assert place.opening_hours == "Mo-Fr 09:00-12:00"
    assert place.location_is_approximate  # no geocoder here: the commune's centre
    assert {record.history_user for record in place.history.all()} == {paca.user}
    created = place.history.earliest()
    assert created.history_type == "+"
    assert created.history_change_reason == f"Proposition n°{proposal.pk} acceptée"
    proposal.refresh_from_db()
    assert (proposal.status, proposal.place, proposal.decided_by) == (
        "accepted", place, paca.user
    )  # fmt: skip
    # Found by the search, and its page is public.
    assert NAME in client.get("/lieux/?q=Buffa").content.decode()
    assert client.get(place.get_absolute_url()).status_code == 200
    # The person who proposed it is told, with the link.
    told = mail.outbox[-1]
    assert told.to == ["habitante@example.org"]
    assert place.get_absolute_url() in told.body
    # Accepting twice creates nothing more.
    paca.post(url, {"_accept": "1"})
    assert Place.objects.filter(name=NAME).count() == 1


def test_refused_nothing_is_created_and_the_person_is_told_in_english(client, paca):
    response = propose(client, path="/en/lieux/proposer/")
    assert response["Location"] == "/en/lieux/proposer/merci/"
    proposal = Suggestion.objects.get()
    assert proposal.language == "en"
    paca.post(f"{QUEUE}{proposal.pk}/change/", {"_reject": "1"})
    proposal.refresh_from_db()
    assert proposal.status == "rejected"
    assert not Place.objects.filter(name=NAME).exists()
    told = mail.outbox[-1]
    assert told.to == ["habitante@example.org"]
    assert told.subject == f"Your proposal “{NAME}”"
    assert "has not added it" in told.body


def test_the_queue_shows_the_places_it_may_already_be(client, paca):
    known = PlaceFactory(
        name="Atelier numerique Buffa",
        commune=commune("06088"),
        postal_code="06000",
        address="10 rue de la Buffa",
    )
    elsewhere = PlaceFactory(name="Atelier numérique de la Buffa")  # in Rennes
    propose(client)
    page = paca.get(f"{QUEUE}{Suggestion.objects.get().pk}/change/").content.decode()
    assert "Déjà connu comme" in page
    assert f"/admin/places/place/{known.pk}/change/" in page
    assert f"/admin/places/place/{elsewhere.pk}/change/" not in page


def test_what_cannot_be_read_is_said_on_the_form(client):
    response = propose(client, town="Zzyzxq", phone="pas un numéro")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Commune introuvable" in page and "Numéro illisible" in page
    response = propose(client, opening_hours="quand ça nous chante", ip="192.0.2.11")
    assert "Horaires illisibles" in response.content.decode()
    response = propose(client, name="x" * 251, kind="nope", ip="192.0.2.12")
    assert response.status_code == 200
    assert not Suggestion.objects.exists()
    # A town of several postal codes needs one; a misspelt name is read as the
    # search reads it; a postal code alone is enough.
    response = propose(client, town="Nicee", ip="192.0.2.13")
    assert "plusieurs codes postaux" in response.content.decode()
    assert propose(client, town="06000 Nicee", ip="192.0.2.13").status_code == 302
    assert propose(client, town="06000", ip="192.0.2.14").status_code == 302
    assert {s.commune.code for s in Suggestion.objects.all()} == {"06088"}


def test_the_proposal_form_is_protected():
    strict = Client(enforce_csrf_checks=True)
    assert propose(strict).status_code == 403
    client = Client()
    assert propose(client, website="http://spam.example").status_code == 302
    assert not Suggestion.objects.exists()
    statuses = [propose(client, ip="192.0.2.20").status_code for _ in range(6)]
    assert statuses == [302] * 5 + [429]
    assert propose(client, ip="192.0.2.21").status_code == 302


def test_the_form_is_linked_from_the_footer_and_empty_results(client):
    assert 'href="/lieux/proposer/"' in client.get("/").content.decode()
    empty = client.get("/lieux/?q=zzzqqqxxx").content.decode()
    assert "Vous connaissez un lieu qui manque ?" in empty
    assert 'href="/lieux/proposer/"' in empty


def test_the_dashboard_counts_proposals_of_the_territory_only(client, paca, bretagne):
    """The admin's home counted suggestions by their place's commune: proposals,
    which have none yet, were in no coordinator's to-do list."""
    propose(client)

    def pending(coordinator) -> str:
        home = BeautifulSoup(coordinator.get("/admin/").content, "html.parser")
        line = "Suggestions des citoyens à traiter"
        return next(tr for tr in home.select("tr") if line in tr.text).td.text

    assert (pending(paca), pending(bretagne)) == ("1", "0")


# Found by the review of the change.


def test_the_correction_form_does_not_offer_a_new_place(client):
    """It did: a « place to add » about an existing place, with nothing in it, which
    no coordinator could create (403) and a national one crashed on."""
    place = PlaceFactory(name="Espace de Rennes")
    page = client.get(f"/lieux/{place.slug}/signaler/").content.decode()
    assert 'value="new_place"' not in page
    response = client.post(
        f"/lieux/{place.slug}/signaler/", {"field": "new_place", "comment": "x"}
    )
    assert response.status_code == 200 and not Suggestion.objects.exists()


def test_refusing_a_correction_writes_nothing_to_the_citizen(client, bretagne):
    """Refusing any correction e-mailed its author « Votre proposition «  » »."""
    place = PlaceFactory(name="Espace de Rennes")
    client.post(
        f"/lieux/{place.slug}/signaler/",
        {"field": "phone", "proposed_value": "02 99 00 00 00", "email": "a@b.org"},
    )
    correction = Suggestion.objects.get()
    sent = len(mail.outbox)
    bretagne.post(f"{QUEUE}{correction.pk}/change/", {"_reject": "1"})
    correction.refresh_from_db()
    assert correction.status == "rejected" and len(mail.outbox) == sent


def test_a_second_decision_changes_nothing(client, paca, rf):
    """A double click on « Créer le lieu » published the place and put the proposal
    back in the queue: the admin saved the copy it had read before deciding."""
    from django.contrib import admin

    from coordination.suggestions import decide

    propose(client)
    stale = Suggestion.objects.get()
    fresh = Suggestion.objects.get()
    place = accept(fresh, paca.user)
    # A decision with the copy read before: refused, nothing changed.
    assert decide(stale, paca.user, Suggestion.Status.REJECTED) is False
    with pytest.raises(ValidationError):
        accept(stale, paca.user)
    request = rf.post("/", {"_accept": "1"})
    request.user = paca.user
    model_admin = admin.site._registry[Suggestion]
    form = model_admin.get_form(request, stale)(instance=stale, data={})
    form.is_valid()
    model_admin.save_model(request, stale, form, change=True)
    current = Suggestion.objects.get()
    assert (current.status, current.place) == ("accepted", place)
    assert Place.objects.filter(name=NAME).count() == 1


def test_a_line_break_in_a_name_cannot_stop_the_e_mails(client):
    """A name with a line break raised BadHeaderError in every e-mail subject (with
    SMTP, a server error after the proposal was saved)."""
    coordinator_client("alpes", ("departement", "06"))
    propose(client, name="Espace Nice\r\nBcc: evil@example.com", address="1 rue\nX")
    proposal = Suggestion.objects.get()
    assert proposal.proposal["name"] == "Espace Nice Bcc: evil@example.com"
    assert proposal.proposal["address"] == "1 rue X"
    assert mail.outbox[0].subject == "Lieu proposé : Espace Nice Bcc: evil@example.com"


@pytest.mark.parametrize(
    "town, found, problem",
    [
        ("35000 Rennes", ("35238", "35000"), ""),
        ("Rennes, 35000", ("35238", "35000"), ""),
        ("75011 Paris", ("75111", "75011"), ""),
        ("06000 Rennes", None, "n’est pas celui de Rennes"),  # a typo: not guessed
        ("35238", None, "Code postal inconnu"),  # an INSEE code
        ("Occitanie", None, "Commune introuvable"),  # a région
        ("Nice", None, "plusieurs codes postaux"),
    ],
)
def test_the_commune_is_read_surely_or_asked_for(town, found, problem):
    commune, postal, said = find_commune(town)
    assert (commune and (commune.code, postal)) == (found or None)
    assert problem in said and bool(said) == bool(problem)
