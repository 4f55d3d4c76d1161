"""Opening hours in the OpenStreetMap `opening_hours` syntax (opening-hours-py).

Public holidays (`PH`) follow the French calendar; times are Europe/Paris unless the
place's coordinates say otherwise (overseas places get their own zone and holidays).
"""

import datetime as dt
import functools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import opening_hours
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

PARIS = ZoneInfo("Europe/Paris")
# What the parser raises for a value it cannot read.
INVALID = (opening_hours.ParserError, SyntaxError, ValueError)


def parse(value: str, lon: float | None = None, lat: float | None = None):
    """Parse `value`; raise one of `INVALID` when it cannot be read."""
    if lon is not None and lat is not None:
        return opening_hours.OpeningHours(
            value, coords=(lat, lon), auto_country=True, auto_timezone=True
        )
    return opening_hours.OpeningHours(value, timezone=PARIS, country="FR")


def is_valid(value: str) -> bool:
    """Empty hours are valid (unknown); others must parse."""
    try:
        return not value or bool(parse(value))
    except INVALID:
        return False


INVALID_MESSAGE = _(
    "Horaires invalides : utilisez la syntaxe OpenStreetMap, par exemple "
    "« Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00 »."
)


def validate_opening_hours(value: str) -> None:
    if not value:
        return
    try:
        parse(value)
    except INVALID as error:
        raise ValidationError(INVALID_MESSAGE, code="invalid_opening_hours") from error


@dataclass(frozen=True)
class Day:
    date: dt.date
    intervals: list[tuple[dt.time, dt.time]]
    is_today: bool

    @property
    def label(self) -> str:
        return date_format(self.date, "l j F")


def upcoming_week(oh, today: dt.date) -> list[Day]:
    """The open intervals of the seven days starting `today`, one `Day` each.

    Real dates rather than an abstract week so that public holidays and
    seasonal rules show as they will apply.
    """
    start = dt.datetime.combine(today, dt.time.min)
    days: dict[dt.date, list] = {today + dt.timedelta(days=n): [] for n in range(7)}
    for begin, end, state, _comment in oh.intervals(
        start, start + dt.timedelta(days=7)
    ):
        if state != opening_hours.State.OPEN:
            continue
        begin = begin.replace(tzinfo=None)
        end = end.replace(tzinfo=None)
        # Split intervals that run past midnight across the days they cover.
        while begin < end:
            day_end = dt.datetime.combine(
                begin.date() + dt.timedelta(days=1), dt.time.min
            )
            stop = min(end, day_end)
            if begin.date() in days:
                days[begin.date()].append(
                    (begin.time(), dt.time.max if stop == day_end else stop.time())
                )
            begin = stop
    return [Day(date, intervals, date == today) for date, intervals in days.items()]


@dataclass(frozen=True)
class Status:
    """Whether a place is open at `moment`, and when that changes (place's zone)."""

    is_open: bool
    moment: dt.datetime
    next_change: dt.datetime | None

    def __str__(self) -> str:
        when = self.next_change
        if when is None:
            return str(_("Ouvert") if self.is_open else _("Fermé"))
        time = f"{when:%H:%M}"
        if self.is_open:
            return str(_("Ouvert · ferme à %(time)s") % {"time": time})
        days = (when.date() - self.moment.astimezone(when.tzinfo).date()).days
        if days == 0:
            day = _("aujourd’hui")
        elif days == 1:
            day = _("demain")
        elif days < 7:
            day = date_format(when, "l")
        else:
            day = _("le %(date)s") % {"date": date_format(when, "j F")}
        return str(_("Fermé · ouvre %(day)s à %(time)s") % {"day": day, "time": time})


# How far ahead a status looks for the next opening or closing. The parser's own
# `next_change` searches years ahead for hours that never close: 1.1 s per card
# for "Mo-Su 00:00-24:00" (20 such places: a 22 s listing).
LOOKAHEAD = dt.timedelta(days=8)


def status_at(oh, moment: dt.datetime) -> Status:
    """Open or not at `moment` (aware; the parser converts it to the place's own
    zone), and the next change within LOOKAHEAD (None beyond: "open" or "closed"
    without a time). Bounded work whatever the hours say."""
    moment = moment.astimezone(PARIS)  # a ZoneInfo, not timezone.now()'s UTC
    is_open = None
    for begin, _end, state, _comment in oh.intervals(moment, moment + LOOKAHEAD):
        opened = state == opening_hours.State.OPEN
        if is_open is None:
            is_open = opened
        elif opened != is_open:
            return Status(is_open, moment, begin)
    return Status(bool(is_open), moment, None)


@functools.lru_cache(maxsize=4096)
def _status(value: str, lon, lat, minute: dt.datetime) -> Status | None:
    try:
        return status_at(parse(value, lon, lat), minute)
    except INVALID:
        return None


def status_now(value: str, lon: float | None, lat: float | None) -> Status | None:
    """The status of hours `value` at a place now, computed once a minute for each
    hours and position (listings show it on every card)."""
    if not value:
        return None
    minute = timezone.now().replace(second=0, microsecond=0)
    return _status(value, lon, lat, minute)


DAY_CODES = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


def day_ranges(days: list[int]) -> str:
    """[0, 1, 2, 4] → "Mo-We,Fr"."""
    days = sorted(set(days))
    groups: list[list[int]] = []
    for day in days:
        if groups and day == groups[-1][-1] + 1:
            groups[-1].append(day)
        else:
            groups.append([day])
    return ",".join(
        DAY_CODES[g[0]] + (f"-{DAY_CODES[g[-1]]}" if len(g) > 2 else "")
        if len(g) != 2
        else f"{DAY_CODES[g[0]]},{DAY_CODES[g[1]]}"
        for g in groups
    )


FRENCH_DAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi",
                    "dimanche"]  # fmt: skip
OSM_WORDS = [
    (re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)-(Mo|Tu|We|Th|Fr|Sa|Su)\b"),
     lambda m: f"du {day_name(m[1])} au {day_name(m[2])}"),
    (re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su)\b"), lambda m: day_name(m[1])),
    (re.compile(r"\bPH (off|closed)\b"), lambda m: "fermé les jours fériés"),
    (re.compile(r"\bPH\b"), lambda m: "jours fériés"),
    (re.compile(r"\bSH (off|closed)\b"),
     lambda m: "fermé pendant les vacances scolaires"),
    (re.compile(r"\bSH\b"), lambda m: "vacances scolaires"),
    (re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"),
     lambda m: MONTHS[m[1]]),
    (re.compile(r"\b(off|closed)\b"), lambda m: "fermé"),
    (re.compile(r"\bopen\b"), lambda m: "ouvert"),
    (re.compile(r"\bunknown\b"), lambda m: "horaires incertains"),
    (re.compile(r"\s*\|\|\s*"), lambda m: ", sinon "),
    (re.compile(r"24/7"), lambda m: "tous les jours, 24 h sur 24"),
    (re.compile(r"\s*;\s*"), lambda m: " ; "),
    (re.compile(r",(?=\S)"), lambda m: ", "),
]  # fmt: skip


MONTHS = dict(zip(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun",
     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
     "septembre", "octobre", "novembre", "décembre"],
    strict=True,
))  # fmt: skip


def day_name(code: str) -> str:
    return FRENCH_DAY_NAMES[DAY_CODES.index(code)]


def in_words(value: str) -> str:
    """Hours that do not read as OSM hours, told in French words for citizens:
    "Mo-Fr 09:00-12:00; Sa 09:00" → "du lundi au vendredi 09:00-12:00 ; samedi
    09:00". What is not OSM stays as the partner wrote it; on pages in another
    language, all of it (OSM's words are English)."""
    if get_language() != settings.LANGUAGE_CODE:
        return value
    for pattern, words in OSM_WORDS:
        value = pattern.sub(words, value)
    return value
