"""French free-text opening hours read into OpenStreetMap `opening_hours` (issue 16).

Partners write "du lundi au vendredi de 9h à 12h et de 14h à 17h", "Lundi : 9h00-12h00
/ 14h00-17h30", "Mardi, jeudi 14h-18h ; samedi 10h-12h", "fermé le mercredi". This
reads such text only when the reading is sure, and otherwise says why not
(`reading(text).reason`, in French, for coordinators): the importer then keeps the
text verbatim and flags it. Nothing is guessed: a word it does not know ("sauf
vacances scolaires", "1er samedi du mois"), days without hours, hours without days,
"le mardi matin", an end before its start, overlapping hours, a text that stops on
"et" or "au" (cut), "mardi-jeudi" when mercredi has hours of its own: not read.

How: the text is normalised (lowercase, no accents, one kind of dash), cut into
tokens (days, times, "matin", "fermé", "sauf", "sur rendez-vous"; between them,
connectors such as "au", "et", "-", "/", a new line; anything else is an unknown
word), and the tokens into groups: days then their times ("lundi et mardi 9h-12h")
or times then their days ("9h-12h du lundi au vendredi"). A day named by two groups
gets the hours of both ("le mardi de 10h à 12h, le mardi de 14h à 16h"); days with
the same hours make one OSM rule, in week order. See docs/hours.md.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from places import hours

# Why a text was not read (or ALREADY_OSM), shown to coordinators.
EMPTY = "vide"
ALREADY_OSM = "déjà au format OpenStreetMap"
UNKNOWN_WORDS = "texte non reconnu : {words}"
TRUNCATED = "texte interrompu (coupé ?)"
APPOINTMENT_ONLY = "sur rendez-vous seulement, sans horaires"
APPOINTMENT_SCOPE = "rendez-vous : on ne sait pour quels jours"
NOTHING = "ni jours ni heures"
NO_DAYS = "horaires sans jours"
NO_TIMES = "jours sans horaires"
PART_OF_DAY = "« matin » ou « après-midi » sans heures qui y correspondent"
DATE = "date précise (horaires ponctuels, pas une semaine type)"
DAY_LIST = "liste de jours illisible"
DASH_RANGE = (
    "tiret entre deux jours ambigu : « {text} » (du … au …, ou … et … ? un jour "
    "entre les deux a d’autres horaires)"
)
ODD_TIMES = "heures incomplètes ou mal appariées"
BARE_TIMES = "heures sans « h » (« 9-12 ») : lecture incertaine"
IMPOSSIBLE_TIME = "heure impossible"
UNLIKELY_TIME = "heure improbable (avant 6 h)"
END_BEFORE_START = "heure de fin avant l’heure de début"
OVERLAP = "plages horaires qui se chevauchent"
CLOSED_PARTLY = "fermeture partielle (matin, après-midi ou heures)"
CLOSED_WHEN = "« fermé » sans jour"
CLOSED_AND_OPEN = "jour dit fermé et ouvert"
HOLIDAYS = "jours fériés ailleurs que dans « fermé les jours fériés »"
NOT_OSM = "lecture impossible à écrire en OpenStreetMap"
APPOINTMENT_COMMENT = '"sur rendez-vous"'  # the OSM comment on such rules

DAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
ABBREVIATIONS = {"lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "vend": 4,
                 "sam": 5, "dim": 6}  # fmt: skip
PH = 7  # public holidays, as a day: only in "fermé (les) jours fériés", "sauf …"
EARLIEST = 6 * 60  # an opening before 6:00 is a typing error ("3-11 h"), not read
END = r"(?![a-z])"  # a word ends here ("mar" but not "mars")
# A time: "9h", "9h30", "9 h 30", "9 heures", "09:30", "08.30", "8h30h" (a typo);
# not "12h 14h" (two times) nor "9h12h" (refused).
TIME = (
    r"\d{1,2}\s*(?:h(?:eures?)?(?:(?:00|15|30|45)h|\d{2}(?!h)|\s\d{2}(?!\d|\s*h))?"
    r"|[:.]\d{2})(?!\d)"
)
# Token kinds, tried in this order at each position; `word` catches what is left.
TOKEN = re.compile("|".join(rf"(?P<{kind}>{pattern})" for kind, pattern in [
    ("rdv", r"(?:(?:uniquement|exclusivement|seulement)\s+)?sur\s+(?:rendez[\s-]*"
            r"vous|rdv)(?:\s+(?:uniquement|exclusif|exclusivement|seulement))?" + END),
    ("alldays", r"tous\s+les\s+jours" + END + r"|7\s*j(?:ours)?\s*(?:/|sur)\s*7"),
    ("weekend", r"week[\s-]?ends?" + END),
    ("holidays", r"(?:les\s+)?jours?\s+feries?" + END),
    ("header", r"(?:horaires?(?:\s+d'ouverture(?:\s+de\s+la\s+structure)?)?|ouverture"
               r"(?:\s+au\s+public)?|ouverte?(?:\s+au\s+public)?|accueil(?:\s+du)?"
               r"\s+public)" + END),
    ("date", r"\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d:]|\s*h)"),
    ("time", TIME),
    ("part", r"(?:matin(?:s|ee)?|apres[\s-]?midis?)" + END),
    ("noon", r"(?:midi|minuit)" + END),
    ("num", r"\d{1,2}(?!\d)"),
    ("day", r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)s?" + END
            + r"|(?:lun|mar|mer|jeu|vend|ven|sam|dim)" + END + r"\.?"),
    ("closed", r"(?:fermee?s?|fermeture)" + END),
    ("except", r"sauf" + END),
    ("range", r"(?:au|a)" + END),
    ("and", r"(?:et|puis)" + END + r"|,"),
    ("dash", r"-"),
    ("slash", r"/"),
    ("hard", r"[\n;|.()]"),
    ("filler", r"(?:du|de|des|le|les|tous\s+les)" + END + r"|:"),
    ("space", r"[^\S\n]+"),
    ("word", r"[a-z0-9']+|\S"),
]))  # fmt: skip
CONNECTORS = {"range", "and", "dash", "slash", "hard"}
IGNORED = {"filler", "space", "header"}
DAY_KINDS = {"day", "alldays", "weekend", "holidays"}
TIME_KINDS = {"time", "num", "noon"}
DAY_SETS = {"alldays": list(range(7)), "weekend": [5, 6], "holidays": [PH]}


@dataclass(frozen=True)
class Reading:
    """The OSM hours read from a text, or None when not surely readable; the reason
    (empty when read from French, ALREADY_OSM when it was OSM already)."""

    osm: str | None
    reason: str = ""


class Unread(Exception):
    """The text cannot be read surely; the message is the reason."""


@dataclass
class Token:
    kind: str
    text: str
    connectors: list[str]  # the connectors between the previous token and this one


@dataclass
class Group:
    """Some days and their times, as written together."""

    days: list[Token] = field(default_factory=list)
    times: list[Token] = field(default_factory=list)
    excepted: list[Token] = field(default_factory=list)  # "sauf le mercredi"
    times_first: bool = False  # "9h-12h du lundi au vendredi"
    part: str = ""  # "matin" or "apres-midi"
    closed: bool = False
    excepting: bool = False  # just after "sauf"
    appointment: bool = False
    appointment_after_times: bool = False


def normalised(text: str) -> str:
    """Lowercase, no accents, one kind of dash and apostrophe, no tabs."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    return re.sub(r"[\u2018\u2019`]", "'", text).replace("\t", " ")


def tokens(text: str) -> list[Token]:
    """The meaningful tokens of a normalised text, each with the connectors before
    it; Unread when a word is not understood or the text stops on a connector."""
    found, unknown, connectors, last = [], [], [], ""
    for match in TOKEN.finditer(text):
        kind = match.lastgroup
        if kind not in ("space", "hard"):
            last = kind if match.group() != ":" else ""
        if kind == "word":
            unknown.append(match.group())
        elif kind in CONNECTORS:
            connectors.append(kind)
        elif kind not in IGNORED:
            found.append(Token(kind, match.group(), connectors))
            connectors = []
    if unknown:
        if any(t.kind == "rdv" for t in found) and not any(
            t.kind in ("time", "noon") for t in found
        ):
            raise Unread(APPOINTMENT_ONLY)  # "Permanence uniquement sur rendez-vous"
        words = ", ".join(f"« {w[:30]} »" for w in dict.fromkeys(unknown[:3]))
        raise Unread(UNKNOWN_WORDS.format(words=words))
    if last in ("range", "and", "dash", "slash", "filler"):
        raise Unread(TRUNCATED)  # "de 9h à 12h et", "du lundi au" (cut at 50 chars)
    return found


def day_set(token: Token) -> list[int]:
    if token.kind in DAY_SETS:
        return DAY_SETS[token.kind]
    word = token.text.rstrip(".")
    if word in ABBREVIATIONS:
        return [ABBREVIATIONS[word]]
    return [DAY_NAMES.index(word.removesuffix("s"))]


def groups(found: list[Token]) -> tuple[list[Group], bool]:
    """The tokens as groups; and whether "sur rendez-vous" came before any day or
    time (then it is said of all the hours)."""
    done: list[Group] = []
    group, last, appointment_all = Group(), "", False
    for token in found:
        kind = token.kind
        if kind not in DAY_KINDS | TIME_KINDS and (
            "range" in token.connectors or group.excepting
        ):
            raise Unread(DAY_LIST)  # "du lundi au sur rdv", "sauf le jeudi matin"
        if kind in DAY_KINDS:
            if (
                group.excepting
                and last in ("except", "day")
                and "hard" not in token.connectors
            ):
                group.excepted.append(token)  # "sauf le mardi et le jeudi"
                last = "day"
                continue
            if (group.closed and "hard" in token.connectors) or (
                group.times
                and not (group.times_first and (last == "day" or not group.days))
            ):
                done.append(group)  # "Mercredi fermé\nJeudi 9h-12h", "9h-12h lundi"
                group = Group()
            elif group.days and last != "day":
                raise Unread(DAY_LIST)  # "lundi matin et mardi", "lundi sur rdv et…"
            group.days.append(token)
            last = "day"
            continue
        if kind in TIME_KINDS:
            if group.excepting and last == "except":
                raise Unread(DAY_LIST)
            if group.times and last != "time":
                if not group.times_first or group.excepting:
                    raise Unread(ODD_TIMES)  # "9h-18h sauf jeudi, 18h30"
                done.append(group)  # "9h-12h du lundi au vendredi 14h-17h"
                group = Group()
            group.excepting = False
            group.times_first = group.times_first or not group.days
            group.times.append(token)
            kind = "time"
        elif kind == "part":
            if group.part:
                raise Unread(PART_OF_DAY)
            group.part = token.text
        elif kind == "closed":
            if group.times:
                done.append(group)  # "9h-17h, fermé le mercredi"
                group = Group()
            group.closed = True
        elif kind == "except":
            group.excepting = True
        elif kind == "rdv":
            if not done and not group.days and not group.times:
                appointment_all = True
            else:
                group.appointment = True
                group.appointment_after_times = bool(group.times)
        elif kind == "date":
            raise Unread(DATE)
        last = kind
    if group.excepting and last == "except":
        raise Unread(DAY_LIST)
    done.append(group)
    return [g for g in done if g.days or g.times or g.closed], appointment_all


def days_of(group: Group) -> tuple[list[int], list[tuple[int, int]]]:
    """A group's days, and the ranges written with a dash ("lundi-mercredi"): a
    dash between two days is a range, between three or more a list."""
    items = [(day_set(t), t.connectors) for t in group.days]
    dashes = sum(c == ["dash"] for _d, c in items[1:])
    days, dashed = [], []
    for n, (dayset, connectors) in enumerate(items):
        if n and "hard" in connectors:
            raise Unread(NO_TIMES)  # "Du lundi au vendredi\nSamedi 9h-12h"
        if not n and "range" in connectors:
            raise Unread(DAY_LIST)  # "9h-12h au lundi"
        kind = connectors if n else []
        if not (kind == ["range"] or (kind == ["dash"] and dashes == 1)):
            if kind != ["dash"] and set(kind) - {"and", "slash"}:
                raise Unread(DAY_LIST)
            days += dayset  # a list: "lundi, mardi et jeudi", "lun/mar", "lundi mardi"
            continue
        start, end = days[-1], dayset[0]
        if len(dayset) > 1 or len(items[n - 1][0]) > 1 or start == end or PH in (
            start, end
        ):  # fmt: skip
            raise Unread(DAY_LIST)  # "du lundi au week-end"
        if kind == ["dash"]:
            if end < start:
                raise Unread(DAY_LIST)
            dashed.append((start, end))
        # "du samedi au lundi" goes round the week end
        days += range(start + 1, end + 1) if start < end else [
            *range(start + 1, 7), *range(end + 1)]  # fmt: skip
    return days, dashed


def minutes(token: Token) -> int:
    if token.kind == "noon":
        return 12 * 60 if token.text == "midi" else 24 * 60
    hour, rest = re.match(r"(\d+)\D*(\d*)", token.text).groups()
    hour, minute = int(hour), int(rest or 0)
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        raise Unread(IMPOSSIBLE_TIME)
    return hour * 60 + minute


def ranges(group: Group) -> list[tuple[int, int]]:
    """A group's time ranges: its times two by two, joined by "à", "-" or "/", the
    pairs apart by "et", "/", "-", ",", "puis", a line or nothing; in order."""
    times = group.times
    if len(times) % 2:
        raise Unread(ODD_TIMES)
    found: list[tuple[int, int]] = []
    for start, end in zip(times[::2], times[1::2], strict=True):
        if end.connectors not in (["range"], ["dash"], ["slash"]):
            raise Unread(ODD_TIMES)  # "10h 12h", "9h à - 12h"
        if "range" in start.connectors:
            raise Unread(ODD_TIMES)  # "9h à 12h à 14h à 16h"
        if start.kind == end.kind == "num" and all(t.kind == "num" for t in times):
            raise Unread(BARE_TIMES)  # "lundi 9-12"; "10-12/14h-18h" is read
        begin, finish = minutes(start), minutes(end)
        if begin < EARLIEST:
            raise Unread(UNLIKELY_TIME)
        if finish <= begin:
            raise Unread(END_BEFORE_START)
        if found and begin < found[-1][1]:
            raise Unread(OVERLAP)
        found.append((begin, finish))
    # "matin" and "après-midi" only beside the times they agree with
    if group.part.startswith("matin") and any(e > 14 * 60 for _b, e in found):
        raise Unread(PART_OF_DAY)
    if group.part.startswith("apres") and any(b < 12 * 60 for b, _e in found):
        raise Unread(PART_OF_DAY)
    return found


def week(found: list[Token]) -> tuple[dict, set[int]]:
    """Each day's time ranges and whether by appointment; the days said closed."""
    read, appointment_all = groups(found)
    if not read:
        raise Unread(APPOINTMENT_ONLY if appointment_all else NOTHING)
    schedule: dict[int, list[tuple[int, int]]] = {}
    appointments: dict[int, bool] = {}
    closed: set[int] = set()
    alone: set[int] = set()  # days given hours by a group naming them alone
    named: list[tuple[set[int], list]] = []  # each group's days and dashed ranges
    timed = sum(bool(g.times) for g in read)
    for group in read:
        days, dashes = days_of(group)
        if not group.closed:
            named.append((set(days), dashes))
        excepted = {d for t in group.excepted for d in day_set(t)}
        if excepted - set(days) - {PH}:
            raise Unread(DAY_LIST)
        closed.update(excepted & {PH})  # "tous les jours sauf les jours fériés"
        days = [d for d in days if d not in excepted]
        if group.closed:
            if group.times or group.part or group.appointment:
                raise Unread(CLOSED_PARTLY)
            if not days:
                raise Unread(CLOSED_WHEN)
            closed.update(days)
        elif not group.times:
            if group.part:
                raise Unread(PART_OF_DAY)
            by_appointment = group.appointment or appointment_all
            raise Unread(APPOINTMENT_ONLY if by_appointment else NO_TIMES)
        elif not days:
            raise Unread(NO_DAYS)
        elif PH in days:
            raise Unread(HOLIDAYS)
        elif group.appointment_after_times and timed > 1:
            raise Unread(APPOINTMENT_SCOPE)  # "lundi 9h-12h / mardi 14h-17h sur rdv"
        else:
            alone.update(days if len(days) == 1 else ())
            by_appointment = appointment_all or group.appointment
            spans = ranges(group)
            for day in days:
                if appointments.setdefault(day, by_appointment) != by_appointment:
                    raise Unread(APPOINTMENT_SCOPE)
                schedule.setdefault(day, []).extend(spans)
    # "mardi-jeudi" is "du mardi au jeudi" unless another group gives mercredi hours
    # of its own (then "mardi et jeudi" may have been meant).
    for _days, dashes in named:
        for start, end in dashes:
            inner = set(range(start + 1, end))
            if any(inner & other for other, its in named if (start, end) not in its):
                text = f"{DAY_NAMES[start]}-{DAY_NAMES[end]}"
                raise Unread(DASH_RANGE.format(text=text))
    for spans in schedule.values():
        spans.sort()
        if any(b < e for (_s, e), (b, _f) in zip(spans, spans[1:], strict=False)):
            raise Unread(OVERLAP)
    if not schedule:
        raise Unread(APPOINTMENT_ONLY if appointment_all else NO_TIMES)
    if closed & alone:
        raise Unread(CLOSED_AND_OPEN)  # "lundi 9h-12h ; fermé le lundi"
    return {d: (tuple(s), appointments[d]) for d, s in schedule.items()}, closed


def osm(schedule: dict, closed: set[int]) -> str:
    """Days with the same hours as one rule, rules in week order; then the closed
    days that a range or list gave hours ("We off"), and "PH off"."""
    rules: dict[tuple, list[int]] = {}
    for day in sorted(schedule):
        rules.setdefault(schedule[day], []).append(day)
    written = []
    for (spans, by_appointment), days in rules.items():
        times = ",".join(f"{b // 60:02}:{b % 60:02}-{e // 60:02}:{e % 60:02}"
                         for b, e in spans)  # fmt: skip
        comment = f" {APPOINTMENT_COMMENT}" if by_appointment else ""
        written.append(f"{hours.day_ranges(days)} {times}{comment}")
    off = sorted(closed & set(schedule))
    if off:
        written.append(f"{hours.day_ranges(off)} off")
    if PH in closed:
        written.append("PH off")
    return "; ".join(written)


def reading(text: str) -> Reading:
    """`text` read into OSM hours, or why it cannot be surely."""
    if not text or not text.strip():
        return Reading(None, EMPTY)
    try:
        hours.parse(text)
        return Reading(text, ALREADY_OSM)
    except hours.INVALID:
        pass
    try:
        value = osm(*week(tokens(normalised(text))))
    except Unread as unread:
        return Reading(None, str(unread))
    try:
        hours.parse(value)
    except hours.INVALID:
        return Reading(None, NOT_OSM)
    return Reading(value)


def read_hours(text: str) -> str | None:
    """OSM hours from French prose ("du lundi au vendredi de 9h à 12h et de 14h à
    17h" → "Mo-Fr 09:00-12:00,14:00-17:00"); the text itself when it is OSM
    already; None when it cannot be read surely."""
    return reading(text).osm
