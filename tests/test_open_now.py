"""Open now at fixed instants, through the precomputed opening periods (Paris time)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from places.models import Place
from places.openings import refresh_openings

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")
WEEK_OF = dt.datetime(
    2026, 12, 21, tzinfo=PARIS
)  # a Monday; Friday the 25th is Christmas


@pytest.fixture
def places():
    made = {
        "weekdays": PlaceFactory(
            name="Semaine", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00; PH off"
        ),
        "sunday": PlaceFactory(name="Dimanche", opening_hours="Su 10:00-13:00"),
        "night": PlaceFactory(name="Nuit", opening_hours="Fr,Sa 20:00-02:00"),
        "always": PlaceFactory(name="Toujours", opening_hours="24/7"),
        "invalid": PlaceFactory(name="Illisible", opening_hours="Mo-Fr 09:00-12:00"),
        "reunion": PlaceFactory(name="Réunion", opening_hours="Mo-Fr 09:00-17:00",
                                location=Point(55.45, -20.88, srid=4326)),
    }  # fmt: skip
    Place.objects.filter(name="Illisible").update(
        opening_hours="le matin", opening_hours_valid=False
    )
    refresh_openings(start=WEEK_OF - dt.timedelta(days=1))
    return made


def open_names(*moment) -> set[str]:
    when = dt.datetime(*moment, tzinfo=PARIS)
    return set(Place.objects.open_at(when).values_list("name", flat=True))


def test_weekday_morning(places):
    assert open_names(2026, 12, 22, 10, 0) == {"Semaine", "Toujours", "Réunion"}


def test_weekday_lunch_break(places):
    # 12:30 in Paris is 15:30 in La Réunion.
    assert open_names(2026, 12, 22, 12, 30) == {"Toujours", "Réunion"}


def test_sunday(places):
    assert open_names(2026, 12, 27, 11, 0) == {"Dimanche", "Toujours"}


def test_public_holiday(places):
    assert "Semaine" not in open_names(2026, 12, 25, 10, 0)  # Christmas, PH off
    assert "Semaine" in open_names(2026, 12, 24, 10, 0)


def test_past_midnight(places):
    assert "Nuit" in open_names(2026, 12, 26, 1, 30)  # Friday night, Saturday 01:30
    assert "Nuit" not in open_names(2026, 12, 26, 2, 30)
    assert "Nuit" in open_names(2026, 12, 26, 23, 0)


def test_overseas_hours_are_in_local_time(places):
    # 06:00 in Paris is 09:00 in La Réunion: open there, closed in Paris.
    assert open_names(2026, 12, 22, 6, 0) == {"Toujours", "Réunion"}


def test_invalid_hours_are_never_open(places):
    assert "Illisible" not in open_names(2026, 12, 22, 10, 0)


def test_saving_a_place_refreshes_its_periods(places):
    place = places["sunday"]
    place.opening_hours = "24/7"
    place.save()
    assert place.openings.exists()


def test_open_now_filter(client, places):
    response = client.get("/lieux/?ouvert=1")
    assert response.status_code == 200
    assert "ouvert" in response.content.decode().lower()


def open_now(place) -> bool:
    from django.utils import timezone

    return Place.objects.open_at(timezone.now()).filter(pk=place.pk).exists()


def test_a_save_refreshes_the_place_s_opening_periods_on_commit(
    django_capture_on_commit_callbacks,
):
    place = PlaceFactory(name="Bientôt ouvert", opening_hours="")
    with django_capture_on_commit_callbacks(execute=True):
        place.opening_hours = "24/7"
        place.save()
    assert open_now(place)
    with django_capture_on_commit_callbacks(execute=True):
        place.opening_hours = ""
        place.save()
    assert not open_now(place)


def test_an_accepted_hours_suggestion_shows_at_once(django_capture_on_commit_callbacks):
    from django.contrib.auth.models import User

    from coordination.models import Suggestion
    from coordination.suggestions import accept

    place = PlaceFactory(name="Horaires corrigés", opening_hours="")
    suggestion = Suggestion.objects.create(
        place=place, field="opening_hours", proposed_value="24/7"
    )
    with django_capture_on_commit_callbacks(execute=True):
        accept(suggestion, User.objects.create_user("coordination"))
    assert open_now(place)
