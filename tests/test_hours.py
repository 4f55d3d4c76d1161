"""Opening hours: validation, open-now wording, the weekly table (Europe/Paris)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from places import hours
from places.french_hours import read_hours

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = "Mo-Fr 09:00-12:00,14:00-18:00; PH off"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_invalid_hours_are_refused_with_a_french_message():
    with pytest.raises(ValidationError, match="syntaxe OpenStreetMap"):
        hours.validate_opening_hours("lundi 9h-12h")


def test_valid_and_empty_hours_pass():
    hours.validate_opening_hours(WEEKDAYS)
    hours.validate_opening_hours("")


def test_open_now_says_when_it_closes():
    status = hours.status_at(
        hours.parse(WEEKDAYS), at(2026, 12, 1, 10, 30)
    )  # a Tuesday
    assert status.is_open
    assert str(status) == "Ouvert · ferme à 12:00"


def test_closed_says_when_it_opens_next():
    parsed = hours.parse(WEEKDAYS)
    assert str(hours.status_at(parsed, at(2026, 12, 1, 12, 30))) == (
        "Fermé · ouvre aujourd’hui à 14:00"
    )
    assert (
        str(hours.status_at(parsed, at(2026, 12, 1, 19, 0)))
        == "Fermé · ouvre demain à 09:00"
    )
    assert (
        str(hours.status_at(parsed, at(2026, 12, 5, 10, 0)))
        == "Fermé · ouvre lundi à 09:00"
    )


def test_public_holidays_are_french():
    # 25 December 2026 is a Friday and a public holiday.
    status = hours.status_at(hours.parse(WEEKDAYS), at(2026, 12, 25, 10, 0))
    assert not status.is_open
    assert str(status) == "Fermé · ouvre lundi à 09:00"


def test_time_zone_is_respected_for_utc_moments():
    utc_moment = dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC)  # 09:30 in Paris
    assert hours.status_at(hours.parse(WEEKDAYS), utc_moment).is_open


def test_overseas_places_use_their_own_time():
    # Réunion is UTC+4: at 07:00 in Paris it is 10:00 in Saint-Denis.
    parsed = hours.parse("Mo-Fr 09:00-17:00", lon=55.45, lat=-20.88)
    assert hours.status_at(parsed, at(2026, 12, 1, 7, 0)).is_open


def test_week_splits_hours_past_midnight():
    week = hours.upcoming_week(
        hours.parse("Fr 20:00-02:00"), dt.date(2026, 12, 4)
    )  # Friday
    friday, saturday = week[0], week[1]
    assert friday.intervals == [(dt.time(20, 0), dt.time.max)]
    assert saturday.intervals == [(dt.time(0, 0), dt.time(2, 0))]
    assert len(week) == 7 and week[0].is_today


def test_week_shows_holidays_as_closed():
    week = hours.upcoming_week(hours.parse(WEEKDAYS), dt.date(2026, 12, 21))
    christmas = next(day for day in week if day.date == dt.date(2026, 12, 25))
    assert christmas.intervals == []
    assert week[0].intervals == [(dt.time(9), dt.time(12)), (dt.time(14), dt.time(18))]


def test_hours_that_never_close_are_open_without_a_closing_time():
    """The parser's own next change searches years ahead for these (1.1 s each):
    the status looks a week ahead at most."""
    for value in ["Mo-Su 00:00-24:00", "24/7", "Mo-Su 00:00-24:00; PH off"]:
        status = hours.status_at(hours.parse(value), at(2026, 12, 1, 10, 30))
        assert (status.is_open, status.next_change, str(status)) == (
            True,
            None,
            "Ouvert",
        ), value


def test_a_change_within_the_week_is_found_across_whole_days():
    # Open all weekend, from 08:00 on weekdays: on Sunday it closes at midnight.
    parsed = hours.parse("Mo-Fr 08:00-24:00; Sa-Su 00:00-24:00")
    status = hours.status_at(parsed, at(2026, 12, 6, 10, 0))  # a Sunday
    assert status.next_change == at(2026, 12, 7, 0, 0)
    assert str(status) == "Ouvert · ferme à 00:00"
    # Closed on Christmas only: a week before, open, no closing time shown.
    assert (
        hours.status_at(
            hours.parse("Mo-Su 00:00-24:00; Dec 25 off"), at(2026, 12, 10, 9, 0)
        ).next_change
        is None
    )


def test_a_listing_of_places_that_never_close_says_open_on_each_card(client, db):
    from .factories import PlaceFactory

    for n in range(20):
        PlaceFactory(name=f"Borne {n}", opening_hours="Mo-Su 00:00-24:00")
    page = client.get("/lieux/?ou=Rennes").content.decode()
    assert page.count("open-status--open") == 20


@pytest.mark.parametrize(
    "text, osm",
    [
        ("lundi 9h-12h", "Mo 09:00-12:00"),
        ("Lundi 9h-12h 14h-17h", "Mo 09:00-12:00,14:00-17:00"),
        ("du lundi au vendredi de 9h à 12h et de 14h à 17h",
         "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("du lundi au vendredi 9h-12h 14h-17h", "Mo-Fr 09:00-12:00,14:00-17:00"),
        ("mardi et jeudi 14h-18h ; samedi 10h-12h",
         "Tu,Th 14:00-18:00; Sa 10:00-12:00"),
        ("Lundi, mercredi 9h30-12h", "Mo,We 09:30-12:00"),
        ("lun. 8:30-12:00, 13:30-17:00", "Mo 08:30-12:00,13:30-17:00"),
        ("du mardi au samedi 10h-18h", "Tu-Sa 10:00-18:00"),
        # Not read rather than guessed: the coordinator writes them.
        ("lundi matin", None),
        ("à partir de mars : lundi 9h-12h", None),
        ("lundi 9h-12h sauf pendant les vacances", None),
        ("tous les jours", None),
    ],
)  # fmt: skip
def test_hours_as_people_write_them_read_into_osm_hours(text, osm):
    assert read_hours(text) == osm


def test_two_rules_for_the_same_days_keep_both_ranges():
    # A second OSM rule for the same days replaces the first: the mornings were
    # lost when each line became its own rule.
    assert read_hours("Lundi-Vendredi 08:30-12:30 / Lundi-Vendredi 13:30-17:00") == (
        "Mo-Fr 08:30-12:30,13:30-17:00"
    )


def test_hours_that_do_not_read_are_told_in_french_words():
    assert hours.in_words("Mo-Fr 09:00-12:00,14:00; Sa 09:00; PH off") == (
        "du lundi au vendredi 09:00-12:00, 14:00 ; samedi 09:00 ; "
        "fermé les jours fériés"
    )
    assert hours.in_words("Jan-Mar Tu 9-12; SH off") == (
        "janvier-mars mardi 9-12 ; fermé pendant les vacances scolaires"
    )
