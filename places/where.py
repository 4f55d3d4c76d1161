"""Where a citizen searches: what `ou` (or the place part of `q`) names.

In order: a street address (geocoded, or else its commune), a commune's INSEE code or
a postal code, a territory's exact name (the most populous of namesakes first, and a
much larger town whose name starts with a short one: "Aix" → Aix-en-Provence), then a
name close in spelling or sound ("Bordo" → Bordeaux, « Vouliez-vous dire … ? » when
others are nearly as close). With a radius, a commune is searched around its centre.
"""

import re
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from . import geocoding
from .models import (
    POSTAL_CODE_PATTERN,
    Territory,
    normalize_name,
    postal_code_condition,
    territory_condition,
)
from .understanding import ADDRESS, TOKEN

POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN)
TOWN_LEVELS = (Territory.Level.COMMUNE, Territory.Level.ARRONDISSEMENT)
SURE_MARGIN = 0.15  # a corrected name this far ahead of the next is not questioned
SHORT_TOWN = 10_000  # an exact namesake this small may not be what was meant…
LARGER = 10  # …when a town this many times more populous starts with its name


@dataclass
class Where:
    typed: str
    territory: Territory | None = None
    condition: Q | None = None
    point: tuple[float, float] | None = None  # (lon, lat): searched around it
    alternatives: list[Territory] = field(default_factory=list)
    corrected: bool = False  # a misspelt name understood
    address: str = ""  # the geocoder's label for a street address
    problem: str = ""  # why an address is searched in its commune only
    temporary: bool = False  # the geocoder did not answer: ask again later

    @property
    def unknown(self) -> bool:
        return self.condition is None and self.point is None


def resolve(text: str, around: bool = False) -> Where:
    """What `text` names. `around`: a radius was given, so a town is searched around
    its centre rather than within its boundaries."""
    text = text.strip()
    is_address = ADDRESS.match(normalize_name(text))
    where = street_address(text) if is_address else named(text)
    if around and where.point is None and where.territory is not None:
        centre = where.territory.centre
        if centre is not None and where.territory.level in TOWN_LEVELS:
            where.point, where.condition = (centre.x, centre.y), None
    return where


def named(text: str) -> Where:
    where = Where(typed=text)
    if POSTAL_CODE.match(text):
        # Five digits: a postal code, or else a commune's INSEE code ("35238").
        communes = Territory.objects.filter(postal_codes__contains=[text])
        first = communes.filter(level__in=TOWN_LEVELS).order_by("-population").first()
        if first is None:
            commune = Territory.objects.filter(level__in=TOWN_LEVELS, code=text).first()
            if commune:
                where.territory, where.condition = commune, territory_condition(commune)
            return where
        # Its largest commune names it on the page, and centres a radius.
        where.territory, where.condition = first, postal_code_condition(text)
        return where
    found = Territory.objects.candidates(text)
    if found:
        found = larger_namesakes(text, found) + found
    else:
        found = Territory.objects.closest(text)
        where.corrected = bool(found)
        if len(found) > 1 and found[0].score - found[1].score >= SURE_MARGIN:
            found = found[:1]
    if found:
        where.territory, where.alternatives = found[0], found[1:]
        where.condition = territory_condition(found[0])
    return where


def larger_namesakes(text: str, found: list[Territory]) -> list[Territory]:
    """Towns far more populous than a small exact namesake, whose name starts with
    the words typed: people typing "Aix" mean Aix-en-Provence, not Aix (Corrèze)."""
    best = found[0]
    if best.level not in TOWN_LEVELS or (best.population or 0) >= SHORT_TOWN:
        return []
    wanted = normalize_name(text)
    return list(
        Territory.objects.filter(
            level=Territory.Level.COMMUNE,
            search_name__startswith=wanted + " ",
            population__gte=max(LARGER * (best.population or 0), SHORT_TOWN),
        )
        .select_related("parent")
        .order_by("-population")[:3]
    )


def street_address(text: str) -> Where:
    """A street address: its point from the geocoder, searched around; or else the
    commune it names (its postal code, or its last words), saying why."""
    try:
        address = geocoding.locate(text)
    except geocoding.GeocoderUnavailable:
        address, temporary = None, True
        problem = _(
            "Le service de localisation des adresses ne répond pas : voici les "
            "lieux de la commune."
        )
    else:
        temporary = False
        problem = _("Adresse introuvable : voici les lieux de la commune.")
    if address is not None:
        commune = Territory.objects.filter(
            level__in=TOWN_LEVELS, code=address.citycode
        ).first()
        return Where(
            typed=text,
            territory=commune,
            point=(address.lon, address.lat),
            address=address.label,
        )
    where = commune_of(text)
    where.problem, where.temporary = str(problem), temporary
    return where


def commune_of(text: str) -> Where:
    """The commune a street address names: its postal code, or its last words."""
    tokens = TOKEN.findall(text)
    for token in tokens:
        if POSTAL_CODE.match(token):
            where = named(token)
            if not where.unknown:
                where.typed = text
                return where
    for size in range(min(4, len(tokens)), 0, -1):
        found = Territory.objects.candidates(" ".join(tokens[-size:]))
        if found and found[0].level in TOWN_LEVELS:
            return Where(
                typed=text, territory=found[0], condition=territory_condition(found[0])
            )
    return Where(typed=text)


def names_place(texts: list[str]) -> str | None:
    """The first of `texts` that names a place exactly (a territory, a postal code
    of a commune, or a street address), for `understanding.understand`."""
    from .understanding import NUMBERED_ADDRESS

    wanted = {}
    for text in texts:
        if NUMBERED_ADDRESS.match(normalize_name(text)):
            return text
        if POSTAL_CODE.match(text):
            if Territory.objects.filter(postal_codes__contains=[text]).exists():
                return text
            continue
        wanted.setdefault(normalize_name(text), text)
    if not wanted:
        return None
    names = list(wanted)
    known = set()
    for name, aliases in (
        Territory.objects.filter(Q(search_name__in=names) | Q(aliases__overlap=names))
        .exclude(level=Territory.Level.EPCI)
        .values_list("search_name", "aliases")
    ):
        known.add(name)
        known.update(aliases)
    return next((wanted[name] for name in names if name in known), None)
