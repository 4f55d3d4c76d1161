"""The coordinators' admin: every model is there, and a place can be created in it."""

import json

import pytest
from django.contrib import admin
from django.urls import reverse

from places.models import Kind, Place, Term

from .factories import PlaceFactory, commune

pytestmark = pytest.mark.django_db


def test_every_model_has_a_working_changelist(admin_client):
    PlaceFactory()
    for model in admin.site._registry:
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        assert admin_client.get(url).status_code == 200, url


def test_vocabulary_pages_show_only_their_vocabulary(admin_client):
    response = admin_client.get(reverse("admin:places_fee_changelist"))
    content = response.content.decode()
    assert "Gratuit sous condition" in content
    assert "Aide aux démarches administratives" not in content


def test_place_form_has_the_map_widget_and_commune_autocomplete(admin_client):
    content = admin_client.get(reverse("admin:places_place_add")).content.decode()
    assert "leaflet" in content.lower()
    assert "data-autocomplete-light" in content or "admin-autocomplete" in content


def test_commune_autocomplete_offers_communes_largest_first(admin_client):
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "places",
            "model_name": "place",
            "field_name": "commune",
            "term": "saint-denis",
        },
    )
    results = json.loads(response.content)["results"]
    assert results[0]["text"].startswith("Saint-Denis (974)")  # La Réunion, the largest
    assert all(
        "(" in r["text"] for r in results
    )  # communes only, shown with their département


def test_place_can_be_created_through_the_admin(admin_client):
    rennes = commune("35238")
    services = Term.objects.filter(
        vocabulary="service", code="aide-aux-demarches-administratives"
    )
    data = {
        "name": "Espace numérique de la Touche",
        "status": "published",
        "kinds": [Kind.objects.get(code="epn").pk],
        "summary": "Aide aux démarches.",
        "address": "3 rue de Brest",
        "postal_code": "35000",
        "commune": rennes.pk,
        "location": json.dumps({"type": "Point", "coordinates": [-1.70, 48.115]}),
        "fixed_site": "on",
        "opening_hours": "Mo-Fr 09:00-17:00",
        "phone": "+33299000001",
        "emails": "accueil@touche.example.org",
        "websites": "",
        "services": [s.pk for s in services],
        "data_updated_on": "2026-11-28",
        "_save": "Enregistrer",
    }
    response = admin_client.post(reverse("admin:places_place_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    place = Place.objects.get(name="Espace numérique de la Touche")
    assert place.slug == "espace-numerique-de-la-touche-rennes"
    assert (round(place.location.x, 3), round(place.location.y, 3)) == (-1.7, 48.115)
    assert list(place.services.values_list("code", flat=True)) == [
        "aide-aux-demarches-administratives"
    ]
    assert place.emails == ["accueil@touche.example.org"]


def test_admin_refuses_invalid_opening_hours(admin_client):
    response = admin_client.post(
        reverse("admin:places_place_add"),
        {
            "name": "X",
            "status": "draft",
            "address": "1 rue",
            "postal_code": "35000",
            "commune": commune("35238").pk,
            "opening_hours": "lundi 9h-12h",
            "fixed_site": "on",
            "data_updated_on": "2026-11-28",
        },
    )
    assert response.status_code == 200
    assert "syntaxe OpenStreetMap" in response.content.decode()
    assert not Place.objects.filter(name="X").exists()


def test_publish_action(admin_client):
    draft = PlaceFactory(status=Place.Status.DRAFT)
    admin_client.post(
        reverse("admin:places_place_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == Place.Status.PUBLISHED


def test_the_place_change_form_takes_at_most_15_queries(admin_client):
    """Eleven lists of values, each with its choices and the place's own: read
    together rather than one query each (36 queries before issue 14)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    place = PlaceFactory(
        kinds=["epn", "fablab"], services=["aide-aux-demarches-administratives"]
    )
    for field in Place._meta.many_to_many:
        if field.name not in ("kinds", "services"):
            vocabulary = field.related_model.objects.filter(
                **field.get_limit_choices_to()
            )
            getattr(place, field.name).set(vocabulary[:2])
    url = reverse("admin:places_place_change", args=[place.pk])
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    from bs4 import BeautifulSoup

    form = BeautifulSoup(response.content, "html.parser")
    for field in Place._meta.many_to_many:  # each list shows the place's values
        shown = {
            int(tag["value"])
            for tag in form.select(
                f'input[name="{field.name}"][checked], '
                f'select[name="{field.name}"] option[selected]'
            )
        }
        assert shown == {v.pk for v in getattr(place, field.name).all()}, field.name
    assert len(queries) <= 15, "\n".join(q["sql"][:150] for q in queries)
