"""Where a citizen searches: what `ou` (or the place part of `q`) names.

In order: a street address (geocoded, or else its commune), a commune's INSEE code or
a postal code, a territory's exact name (the most populous of namesakes first, and a
much larger town whose name starts with a short one: "Aix" → Aix-en-Provence), then a
name close in spelling or sound ("Bordo" → Bordeaux, « Vouliez-vous dire … ? » when
others are nearly as close). With a radius, a commune is searched around its centre.
"""

from dataclasses import dataclass, field

from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from . import geocoding
from .models import (
    IN_DEPARTEMENT,
    ORDINAL,
    Territory,
    normalize_name,
    postal_code_condition,
    territory_condition,
)
from .understanding import ADDRESS, NUMBERED_ADDRESS, POSTAL_CODE, TOKEN

TOWN_LEVELS = (Territory.Level.COMMUNE, Territory.Level.ARRONDISSEMENT)
SURE_MARGIN = 0.15  # a corrected name this far ahead of the next is not questioned
SMALL_WORD_TOWN = 2_000  # a one-word town typed in `q`: at least this many people
CLOSE_IN_QUERY = 0.5  # a misspelt town in `q` must be this close…
CLOSE_TOWN = 5_000  # …and this large
SHORT_TOWN = 20_000  # an exact namesake this small may not be what was meant…
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
    radius_ignored: bool = False  # a radius around a département or a région

    @property
    def unknown(self) -> bool:
        return self.condition is None and self.point is None


def resolve(text: str, around: bool = False) -> Where:
    """What `text` names. `around`: a radius was given, so a town is searched
    around its centre rather than within its boundaries."""
    text = text.strip()
    plain = normalize_name(text)
    # "Ruelle-sur-Touvre" starts like a street: a territory's exact name wins.
    exact = (
        None if NUMBERED_ADDRESS.match(plain) else Territory.objects.candidates(text)
    )
    is_address = not exact and ADDRESS.match(plain)
    where = street_address(text) if is_address else named(text, exact)
    if around and where.point is None and where.territory is not None:
        centre = town_centre(where.territory)
        if centre is None:
            where.radius_ignored = True
        else:
            where.point, where.condition = centre, None
    return where


def town_centre(territory: Territory) -> tuple[float, float] | None:
    """Where a radius around `territory` is measured from: a town's centre; for a
    département that is also a town (Paris), that town's."""
    town = as_town(territory)
    if town is None or town.centre is None:
        return None
    return town.centre.x, town.centre.y


def as_town(territory: Territory) -> Territory | None:
    """`territory` if it is a town; for a département that is also a town (Paris),
    that town; None for other départements and régions."""
    if territory.level in TOWN_LEVELS:
        return territory
    return Territory.objects.filter(
        level=Territory.Level.COMMUNE,
        search_name=territory.search_name,
        departement_code=territory.departement_code,
        centre__isnull=False,
    ).first()


def named(text: str, found: list[Territory] | None = None) -> Where:
    """`found`: the territories `text` names exactly, when already looked up."""
    where = Where(typed=text)
    if POSTAL_CODE.match(text):
        # Five digits: a postal code, or else a commune's INSEE code ("35238").
        # The smallest territory that has it names it on the page and centres a
        # radius: Marseille 8e for 13008, not Marseille.
        first = (
            Territory.objects.filter(
                postal_codes__contains=[text], level__in=TOWN_LEVELS
            )
            .annotate(
                finest=Case(
                    When(level=Territory.Level.ARRONDISSEMENT, then=Value(0)),
                    default=Value(1),
                )
            )
            .order_by("finest", "-population")
            .first()
        )
        if first is None:
            commune = Territory.objects.filter(level__in=TOWN_LEVELS, code=text).first()
            if commune:
                where.territory, where.condition = commune, territory_condition(commune)
            return where
        where.territory, where.condition = first, postal_code_condition(text)
        return where
    found = Territory.objects.candidates(text) if found is None else found
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
    except geocoding.NoGeocoder:
        address, temporary = None, False
        problem = _(
            "La localisation des adresses n’est pas disponible ici : voici les lieux "
            "de la commune."
        )
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
    """The first of `texts` (best first) that names a place exactly, for
    `understand`: a street address with its commune, a postal code of a commune, a
    territory's name ("Lyon 3e", "Paris 15", "Saint-Denis (93)"). A single word typed
    in lower case names only the current name of a commune of SMALL_WORD_TOWN people
    or more ("école" is not École, Savoie; "Lourmarin", with its capital, is)."""
    plain = {text: ORDINAL.sub(r"\1", normalize_name(text)) for text in texts}
    names = sorted(set(plain.values()))
    known: dict[str, bool] = {}  # name → whether a lower-case single word may mean it
    rows = (
        Territory.objects.filter(Q(search_name__in=names) | Q(aliases__overlap=names))
        .exclude(level=Territory.Level.EPCI)
        .values_list("search_name", "aliases", "level", "population")
    )
    for name, aliases, level, population in rows:
        large = level not in TOWN_LEVELS or (population or 0) >= SMALL_WORD_TOWN
        known[name] = known.get(name, False) or large
        for alias in aliases:  # former communes: small, as far as we know
            known.setdefault(alias, False)
    for text in texts:
        name = plain[text]
        if NUMBERED_ADDRESS.match(name):
            if not commune_of(text).unknown:
                return text
        elif POSTAL_CODE.match(text):
            if Territory.objects.filter(postal_codes__contains=[text]).exists():
                return text
        elif IN_DEPARTEMENT.match(text):
            if Territory.objects.candidates(text):
                return text
        elif name in known and (" " in name or known[name] or text[:1].isupper()):
            return text
    return None


def close_place(text: str) -> bool:
    """Whether the last words of a query are surely a misspelt town of some size
    ("médiathèque Bordo"): written with capitals, close in spelling or sound, and
    clearly the likeliest ("espace public" is not Publier)."""
    if not all(word[:1].isupper() for word in text.split()):
        return False  # a guess only for what is written like a name: "Bordo"
    found = Territory.objects.closest(text, limit=2)
    return bool(found) and (
        found[0].closeness >= CLOSE_IN_QUERY
        and (found[0].population or 0) >= CLOSE_TOWN
        and (len(found) == 1 or found[0].score - found[1].score >= SURE_MARGIN)
    )
