"""French free-text opening hours read into OSM hours (issue 16, docs/hours.md):
read when sure, refused (None, with a reason) otherwise. Pure functions, no database."""

import datetime as dt

import opening_hours
import pytest
from hypothesis import given
from hypothesis import strategies as st

from places import french_hours, hours
from places.french_hours import read_hours, reading

CASES = [
    # Ranges of days, times written every way.
    ("du lundi au vendredi de 9h à 12h et de 14h à 17h",
     "Mo-Fr 09:00-12:00,14:00-17:00"),
    ("Lundi au Vendredi : 9h-12h / 14h-17h", "Mo-Fr 09:00-12:00,14:00-17:00"),
    ("Lundi : 9h00-12h00 / 14h00-17h30", "Mo 09:00-12:00,14:00-17:30"),
    ("lundi au vendredi 09:30-12:00", "Mo-Fr 09:30-12:00"),
    ("du mardi au vendredi de 8 h 30 à 12 h 30", "Tu-Fr 08:30-12:30"),
    ("Du Lundi au Jeudi\n9 h 30 – 12 h / 15 h 30 – 18 h\nLe Vendredi\n9 h 30 – 12 h",
     "Mo-Th 09:30-12:00,15:30-18:00; Fr 09:30-12:00"),
    ("lundi-vendredi 08.30-17:30", "Mo-Fr 08:30-17:30"),
    ("Lun au jeu: 8h30/12h 14h/17h ven: 8h/12h 14h/16h",
     "Mo-Th 08:30-12:00,14:00-17:00; Fr 08:00-12:00,14:00-16:00"),
    ("Lundi de 9 heures à 12 h 30", "Mo 09:00-12:30"),
    ("Lundi et mercredi : 8h30 - 12h15 et 13h15 - 17h 00",
     "Mo,We 08:30-12:15,13:15-17:00"),
    ("vendredi 10-12/14h-18h30", "Fr 10:00-12:00,14:00-18:30"),
    ("mercredi de 14 à 18h", "We 14:00-18:00"),
    ("de 9h à midi du lundi au vendredi", "Mo-Fr 09:00-12:00"),
    ("lundi 12h-14h", "Mo 12:00-14:00"),
    ("vendredi de 20h à minuit", "Fr 20:00-24:00"),
    ("jeudi de 14h à 15h30, et 15h30 à 17h", "Th 14:00-15:30,15:30-17:00"),
    # Accents and capitals do not matter.
    ("MERCREDI DE 14H À 17H", "We 14:00-17:00"),
    ("Mercredi de 14h a 17h", "We 14:00-17:00"),
    ("Lundi au vendredi : 8h à 12h30 et 13h30 à16h30", "Mo-Fr 08:00-12:30,13:30-16:30"),
    # Lists of days; groups of days each with their hours, in any order and with
    # any separator; days with the same hours written together.
    ("Mardi, jeudi 14h-18h", "Tu,Th 14:00-18:00"),
    ("lundi, mardi et jeudi 9h-12h", "Mo,Tu,Th 09:00-12:00"),
    ("le lundi, le mardi et le jeudi de 9h à 12h", "Mo,Tu,Th 09:00-12:00"),
    ("Lun/mar/jeu: 9h/12h", "Mo,Tu,Th 09:00-12:00"),
    ("lun. 8:30-12:00, 13:30-17:00", "Mo 08:30-12:00,13:30-17:00"),
    ("Lundi Mardi Vendredi 09:00 - 12:30 | Mercredi Jeudi 10:30 - 12:30",
     "Mo,Tu,Fr 09:00-12:30; We,Th 10:30-12:30"),
    ("mardi et jeudi 14h-18h ; samedi 10h-12h", "Tu,Th 14:00-18:00; Sa 10:00-12:00"),
    ("Jeudi 9h-12h - Vendredi 9h-12h", "Th,Fr 09:00-12:00"),
    ("samedi 10h-12h\nlundi 9h-12h", "Mo 09:00-12:00; Sa 10:00-12:00"),
    ("Du lundi au mercredi et vendredi de 8h30 à 16h30", "Mo-We,Fr 08:30-16:30"),
    ("9h-12h et 14h-17h du lundi au vendredi", "Mo-Fr 09:00-12:00,14:00-17:00"),
    ("le mardi de 10h à 12h, le mardi de 14h à 16h", "Tu 10:00-12:00,14:00-16:00"),
    ("Lundi, Mardi et Vendredi de 9h30 à 10h30 puis 11h à 12h et Vendredi de 14h à 15h",
     "Mo,Tu 09:30-10:30,11:00-12:00; Fr 09:30-10:30,11:00-12:00,14:00-15:00"),
    ("tous les jours 9h-20h", "Mo-Su 09:00-20:00"),
    ("Tous les vendredis de 10h00 à 12h00", "Fr 10:00-12:00"),
    ("le week-end de 10h à 18h", "Sa,Su 10:00-18:00"),
    ("samedi et dimanche 10h-18h", "Sa,Su 10:00-18:00"),
    ("du samedi au lundi 10h-12h", "Mo,Sa,Su 10:00-12:00"),
    # A dash between two days is a range, unless a day between them has hours of
    # its own (then "et" may have been meant); three dashed days are a list.
    ("Lundi - Jeudi : 9h-12h\nVendredi : 9h-11h", "Mo-Th 09:00-12:00; Fr 09:00-11:00"),
    ("lundi- mardi -jeudi 9h-12h", "Mo,Tu,Th 09:00-12:00"),
    ("MARDI-JEUDI ET VENDREDI 9H00-12H00\nMERCREDI ET SAMEDI 14H00-17H00", None),
    # Closed days, "sauf", public holidays.
    ("du lundi au vendredi de 9h à 12h et de 14h à 17h, fermé le mercredi",
     "Mo-Fr 09:00-12:00,14:00-17:00; We off"),
    ("Lundi 16h-18h30/ Du mardi au samedi de 9h30-12h30, 14h-18h30. Fermé jeudi et "
     "samedi", "Mo 16:00-18:30; Tu-Sa 09:30-12:30,14:00-18:30; Th,Sa off"),
    ("Lundi\t09h30 - 11h30\nMercredi\tFermé\nJeudi\t09h30 - 11h30\nDimanche\tFermé",
     "Mo,Th 09:30-11:30"),
    ("du lundi au vendredi 9h-18h sauf le mercredi", "Mo,Tu,Th,Fr 09:00-18:00"),
    ("tous les jours sauf le lundi de 9h à 18h", "Tu-Su 09:00-18:00"),
    ("du lundi au vendredi 9h-18h, fermé les jours fériés",
     "Mo-Fr 09:00-18:00; PH off"),
    ("fermé le mercredi", None),
    ("Lundi 9h-12h ; fermé le lundi", None),
    ("fermeture le mercredi après-midi", None),
    ("Lundi au vendredi : 9h à 18h (lundi et jeudi matin fermé)", None),
    ("lundi 9h-12h sauf vacances scolaires", None),
    ("du lundi au vendredi 9h-18h sauf le jeudi après-midi", None),
    ("Lundi au vendredi 9h-18h (sauf jeudi, 18h30)", None),
    ("jours fériés 10h-12h", None),
    # Morning and afternoon: only as a word beside the times they agree with.
    ("le mardi matin", None),
    ("les lundis et mardis matins", None),
    ("mardi matin 9h-10h30", "Tu 09:00-10:30"),
    ("mardi matin 14h-17h", None),
    ("mardi après-midi de 14h à 17h", "Tu 14:00-17:00"),
    ("lundi matin et mardi 9h-12h", None),
    # By appointment: alone, not hours; beside hours, an OSM comment on their rule.
    ("sur rendez-vous", None),
    ("Sur RDV", None),
    ("Tous les jours sur rendez-vous", None),
    ("Du lundi au vendredi, de 8h30 à 17h, sur rendez-vous uniquement",
     'Mo-Fr 08:30-17:00 "sur rendez-vous"'),
    ("Sur rendez-vous lundi au jeudi : 9h - 17h; vendredi 9h-16h",
     'Mo-Th 09:00-17:00 "sur rendez-vous"; Fr 09:00-16:00 "sur rendez-vous"'),
    ("Lundi 10h-12h Mercredi (uniquement sur rendez-vous) : 9h à 12h",
     'Mo 10:00-12:00; We 09:00-12:00 "sur rendez-vous"'),
    ("Lundi 9h-12h / Mardi 14h-17h sur rendez-vous", None),  # Tuesday, or both?
    # Not read: days without hours, hours without days, words not understood.
    ("Du lundi au vendredi", None),
    ("tous les jours", None),
    ("9h-12h / 14h-17h", None),
    ("Du lundi au vendredi\nSamedi 9h-12h", None),
    ("Se rapprocher de l'organisme", None),
    ("selon les permanences", None),
    ("1er et 3e samedi du mois 9h-12h", None),
    ("2 vendredi par mois 9h-13h", None),
    ("Les mardis de 9h00 à 10h30 ou de 16h00 à 17h30", None),
    ("Vendredi 21/04\n10:00 - 12:30", None),
    ("Lundi au vendredi 9h-12h/Bouche-du-Rhôneh-17h", None),
    ("mundi 9h-12h", None),
    ("Horaires d’ouverture", None),
    ("Lundi au vendredi 9h-12h/14h-17h ; ouvert le week-end selon programmation", None),
    ("Biblioth\ufffdque mardi 9h-12h", None),
    ("lundi 9h-12h\x00", None),
    ("xyz", None),
    # Times that do not make a range: refused, never mended.
    ("lundi 18h-9h", None),
    ("lundi 12h-12h", None),
    ("lundi 25h-26h", None),
    ("lundi 9h60-10h", None),
    ("Mar : 3-11 h", None),
    ("lundi 9-12", None),
    ("mardi 9h 12h", None),
    ("Vendredi : 9h à 12h30 à 14h à 16h30", None),
    ("Du lundi au vendredi : 9h00-12h30 / 13h30", None),
    ("lundi 14h-18h et 9h-12h", None),
    ("Lundi au vendredi : 13h30 – 18h |Mercredi : 9h-12h / 13h30-18h", None),
    ("Mar à ven : 10h/17h mer : 10h/18h", None),
    # Already OSM: kept as it is.
    ("Mo-Fr 09:00-12:00; PH off", "Mo-Fr 09:00-12:00; PH off"),
    ("", None),
    ("  \n ", None),
]  # fmt: skip


@pytest.mark.parametrize("text, osm", CASES)
def test_french_hours_read_when_sure_else_none(text, osm):
    assert read_hours(text) == osm


@pytest.mark.parametrize("text", [text for text, osm in CASES if osm])
def test_every_reading_is_valid_osm_hours(text):
    value = read_hours(text)
    assert hours.parse(value)


def test_hours_mean_what_the_text_says():
    """The parser opens the place when the text says: not on Wednesday."""
    oh = hours.parse(read_hours("du lundi au vendredi de 9h à 12h, fermé le mercredi"))
    monday = dt.datetime(2025, 6, 2)
    opened = {
        (begin.weekday(), begin.hour, end.hour)
        for begin, end, state, _comment in oh.intervals(
            monday, monday + dt.timedelta(days=7)
        )
        if state == opening_hours.State.OPEN
    }
    assert opened == {(0, 9, 12), (1, 9, 12), (3, 9, 12), (4, 9, 12)}


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", french_hours.EMPTY),
        ("Mo-Fr 09:00-12:00", french_hours.ALREADY_OSM),
        ("sur rendez-vous", french_hours.APPOINTMENT_ONLY),
        ("Permanence uniquement sur rendez-vous", french_hours.APPOINTMENT_ONLY),
        ("le mardi matin", french_hours.PART_OF_DAY),
        ("9h-12h", french_hours.NO_DAYS),
        ("du lundi au vendredi", french_hours.NO_TIMES),
        ("lundi 18h-9h", french_hours.END_BEFORE_START),
        ("lundi 9h-12h\nlundi 11h-13h", french_hours.OVERLAP),
        ("Vendredi 21/04 10h-12h", french_hours.DATE),
        ("lundi 9h-12h sauf vacances scolaires",
         "texte non reconnu : « vacances », « scolaires »"),
        ("Lundi 9h-12h / Mardi 14h-17h sur RDV", french_hours.APPOINTMENT_SCOPE),
        ("mardi-jeudi 9h-12h, mercredi 14h-17h",
         french_hours.DASH_RANGE.format(text="mardi-jeudi")),
        ("lundi 9h-12h", ""),
    ],
)  # fmt: skip
def test_the_reason_says_why_a_text_is_not_read(text, reason):
    assert reading(text).reason == reason
    assert (reading(text).osm is None) == (reason not in ("", french_hours.ALREADY_OSM))


FRAGMENTS = [
    "lundi", "Mardi", "mer.", "du", "au", "à", "a", "et", ",", "-", "–", "/", ";",
    "\n", "|", "(", ")", ":", "9h", "12h", "14h30", "09:00", "18:00", "8 h 30", "17",
    "midi", "minuit", "de", "le", "les", "tous les jours", "week-end", "matin",
    "après-midi", "fermé", "sauf", "sur rendez-vous", "jours fériés", "21/04", "3h",
    "25h", "samedi", "dimanche", "vendredi", "h", "0",
]  # fmt: skip


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14))
def test_whatever_is_read_is_valid_osm_hours(fragments):
    value = read_hours(" ".join(fragments))
    assert value is None or hours.parse(value)
