"""Régions, départements, EPCI and communes: how a typed town is read (normalised
names, sound keys, postal codes) and which places a territory holds."""

import functools
import re
import unicodedata

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import (
    TrigramSimilarity,
)
from django.db.models import (
    Case,
    F,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Log
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .common import TrigramCloseTo


@functools.lru_cache(maxsize=65536)
def normalize_name(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, "St" as "Saint":
    the form in which a typed town is compared with `Territory.objects.candidates`."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    text = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    )
    text = re.sub(r"[-'’\s]+", " ", text).strip()
    return re.sub(r"\b(ste?)\b", lambda m: {"st": "saint", "ste": "sainte"}[m[1]], text)


# A rough French pronunciation, for towns typed as they sound ("Bordo" for Bordeaux,
# "Marseile", "Toulouze"): applied alike to what is typed and to every territory name.
SOUNDS = [
    (r"[^a-z]", ""),
    (r"x$", ""),
    (r"(eaux|eau|aux|au)", "o"),
    (r"ph", "f"),
    (r"gu(?=[eiy])", "g"),
    (r"g(?=[eiy])", "j"),
    (r"(qu|ck|q)", "k"),
    (r"c(?=[eiy])", "s"),
    (r"sch", "ch"),
    (r"ch", "%"),
    (r"c", "k"),
    (r"h", ""),
    (r"y", "i"),
    (r"z", "s"),
    (r"w", "v"),
    (r"(ai|ei|ay)", "e"),
    (r"e(?=[mn])", "a"),
    (r"m(?=[bp])", "n"),
    (r"(.)\1+", r"\1"),
    (r"(es|e|s|x)$", ""),  # plural and mute endings, once
]


@functools.lru_cache(maxsize=65536)
def sound_key(text: str) -> str:
    key = normalize_name(text)
    for pattern, replacement in SOUNDS:
        key = re.sub(pattern, replacement, key)
    return key


# How close a typed name must be to a territory's to be taken for it: trigram
# similarity (the misspellings of docs/search.md are 0.47 to 0.88; "Atlantide" is 0.35
# from Loire-Atlantique), or the same sound key (0.75).
CLOSE_ENOUGH = 0.45
SOUND_SPELLING = 0.2

LEVEL_RANK = {
    "region": 0,
    "departement": 1,
    "commune": 2,
    "arrondissement": 3,
    "epci": 4,
}
ORDINAL = re.compile(r"\b0*(\d+)(?:er|e|eme)\b")
ARRONDISSEMENT_SUFFIX = re.compile(r"\s+(\d+)(?:er|e|eme)?\s+arrondissement$")
IN_DEPARTEMENT = re.compile(r"^(?P<name>.+?)\s*\((?P<code>[0-9]{2,3}|2[AaBb])\)$")
DEPARTEMENT_CODE = re.compile(r"^(?:[0-9]{2}|2[AaBb]|97[0-9])$")
REGION_URL_CODE = re.compile(r"^[Rr][0-9]{2}$")
EPCI_CODE = re.compile(r"^[0-9]{9}$")


class TerritoryQuerySet(models.QuerySet):
    def from_url_code(self, code: str) -> "TerritoryQuerySet":
        """The territory a page's address names (`Territory.url_code`): a région
        (`R` + its code), an EPCI (nine digits), a département (up to three
        characters), or a commune or arrondissement (its INSEE code)."""
        code = code.upper()
        if code.startswith("R"):
            return self.filter(level=Territory.Level.REGION, code=code[1:])
        if len(code) == 9:
            return self.filter(level=Territory.Level.EPCI, code=code)
        if len(code) <= 3:
            return self.filter(level=Territory.Level.DEPARTEMENT, code=code)
        return self.filter(level__in=["commune", "arrondissement"], code=code)


class TerritoryManager(models.Manager.from_queryset(TerritoryQuerySet)):
    def get_by_natural_key(self, level: str, code: str):
        return self.get(level=level, code=code)

    def candidates(self, text: str, limit: int = 8) -> list["Territory"]:
        """What `text` may name, likeliest first: a département code, a région's
        address code (R53), an EPCI's SIREN, or a région, département or commune name
        (current or former); among communes of the same name, the most populous
        first. "Saint-Denis (974)" picks the département. Postal codes are not
        territories; see `postal_code_condition` (and PlaceFilter for INSEE codes)."""
        text = text.strip()
        if DEPARTEMENT_CODE.match(text):
            return list(self.filter(level="departement", code=text.upper()))
        if REGION_URL_CODE.match(text):  # as in the territories' addresses: R53
            return list(self.filter(level="region", code=text[1:]))
        if EPCI_CODE.match(text):  # an intercommunality's SIREN
            return list(self.filter(level="epci", code=text))
        match = IN_DEPARTEMENT.match(text)
        queryset = self.all()
        if match:
            text = match["name"]
            queryset = queryset.filter(departement_code=match["code"].upper())
        plain = normalize_name(text)
        wanted = ORDINAL.sub(r"\1", plain)  # "lyon 3e" → "lyon 3"
        if not wanted:
            return []
        # The full name as well: "Paris 1er Arrondissement (75)", as pages write it.
        names = list({wanted, plain})
        rank = Case(
            *(When(level=level, then=Value(n)) for level, n in LEVEL_RANK.items()),
            output_field=models.IntegerField(),
        )
        found = list(
            queryset.filter(Q(search_name__in=names) | Q(aliases__overlap=names))
            .select_related("parent")
            .annotate(rank=rank)
            .order_by("rank", F("population").desc(nulls_last=True))[:limit]
        )
        # Only territories of the best level compete (a région beats its namesake).
        return [t for t in found if t.rank == found[0].rank]

    def closest(self, text: str, limit: int = 6) -> list["Territory"]:
        """Communes, départements and régions whose name is close to `text`, in
        spelling (trigrams) or in sound (`sound_key`), the most populous first among
        equally close ones: "Bordo" → Bordeaux. Each is annotated `score`."""
        wanted = ORDINAL.sub(r"\1", normalize_name(text))
        if len(wanted) < 3:
            return []
        sound = sound_key(wanted)
        same_sound = Q(sound=sound) if sound else Q(pk__in=[])  # "!!!" sounds like Aix
        spelling = TrigramSimilarity("search_name", wanted)
        closeness = Greatest(
            spelling,
            # The same sound counts when the spelling is not far off either: "Nisse"
            # for Nice (0.22), not "Zzzyx" for Sciez (0).
            Case(
                When(
                    same_sound & Q(GreaterThanOrEqual(spelling, SOUND_SPELLING)),
                    then=Value(0.75),
                ),
                default=Value(0.0),
            ),
            output_field=models.FloatField(),
        )
        weight = Log(10, Coalesce("population", 0) + 10.0) * 0.05
        return list(
            self.exclude(level=Territory.Level.EPCI)
            .filter(Q(TrigramCloseTo(F("search_name"), Value(wanted))) | same_sound)
            .annotate(closeness=closeness)
            .filter(closeness__gte=CLOSE_ENOUGH)
            .select_related("parent")
            .annotate(score=F("closeness") + weight)
            .order_by("-score", "pk")[:limit]
        )


class Territory(models.Model):
    """A région, département, EPCI, commune or municipal arrondissement (COG).

    `departement_code` and `region_code` are copied down onto every territory so that
    "places of a département" is one indexed comparison, whatever the level the place
    points at (a Paris place points at its arrondissement, two levels below).
    """

    class Level(models.TextChoices):
        REGION = "region", _("région")
        DEPARTEMENT = "departement", _("département")
        EPCI = "epci", _("intercommunalité")
        COMMUNE = "commune", _("commune")
        ARRONDISSEMENT = "arrondissement", _("arrondissement municipal")

    level = models.CharField(_("niveau"), max_length=14, choices=Level)
    code = models.CharField(_("code INSEE"), max_length=9)
    name = models.CharField(_("nom"), max_length=200)
    search_name = models.CharField(
        _("nom normalisé"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_(
            "Sans accents ni tirets, en minuscules : pour retrouver un nom tapé."
        ),
    )
    sound = models.CharField(
        _("prononciation"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("Clé phonétique du nom : pour retrouver un nom mal orthographié."),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("territoire parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    epci = models.ForeignKey(
        "self",
        verbose_name=_("intercommunalité"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member_communes",
        limit_choices_to={"level": "epci"},
    )
    departement_code = models.CharField(
        _("code du département"), max_length=3, blank=True
    )
    region_code = models.CharField(_("code de la région"), max_length=3, blank=True)
    postal_codes = ArrayField(
        models.CharField(max_length=5),
        verbose_name=_("codes postaux"),
        default=list,
        blank=True,
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    aliases = ArrayField(
        models.CharField(max_length=200),
        verbose_name=_("anciens noms"),
        default=list,
        blank=True,
        help_text=_("Communes déléguées ou associées, sous forme normalisée."),
    )
    centre = models.PointField(_("centre"), srid=4326, null=True, blank=True)

    objects = TerritoryManager()

    class Meta:
        verbose_name = _("territoire")
        verbose_name_plural = _("territoires")
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "code"], name="territory_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(
                    level__in=[
                        "region",
                        "departement",
                        "epci",
                        "commune",
                        "arrondissement",
                    ]
                ),
                name="territory_level_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["level", "name"], name="territory_level_name"),
            models.Index(
                fields=["departement_code", "level"], name="territory_departement"
            ),
            # `candidates`: an exact name, or a former name.
            models.Index(fields=["search_name"], name="territory_search_name"),
            GinIndex(fields=["aliases"], name="territory_aliases"),
            # `closest`: a name typed as it sounds.
            models.Index(fields=["sound"], name="territory_sound"),
        ]

    def __str__(self) -> str:
        if (
            self.level in (self.Level.COMMUNE, self.Level.ARRONDISSEMENT)
            and self.departement_code
        ):
            return f"{self.name} ({self.departement_code})"
        return self.name

    def natural_key(self) -> tuple[str, str]:
        return (self.level, self.code)

    @property
    def url_code(self) -> str:
        """The code in URLs: `R` + the code for a région (INSEE région and
        département codes overlap)."""
        return f"R{self.code}" if self.level == self.Level.REGION else self.code

    def get_absolute_url(self) -> str:
        return reverse("places:territory", kwargs={"code": self.url_code})

    def ancestors(self) -> list["Territory"]:
        """Région, département (and city) above this territory, from the top."""
        chain, current = [], self.parent
        while current is not None:
            chain.append(current)
            current = current.parent
        return list(reversed(chain))

    @property
    def departement(self) -> "Territory | None":
        """The département of a commune or arrondissement (select_related parents)."""
        if self.level == self.Level.COMMUNE:
            return self.parent
        if self.level == self.Level.ARRONDISSEMENT and self.parent:
            return self.parent.parent
        return None


def postal_code_condition(code: str) -> Q:
    """Places with that postal code, or in a commune that has it (by id)."""
    communes = Territory.objects.filter(postal_codes__contains=[code])
    return Q(postal_code=code) | Q(
        commune_id__in=list(communes.values_list("pk", flat=True))
    )


def territory_condition(territory: "Territory") -> Q:
    """Places whose commune lies in `territory`, whatever its level."""
    match territory.level:
        case Territory.Level.REGION:
            return Q(commune__region_code=territory.code)
        case Territory.Level.DEPARTEMENT:
            return Q(commune__departement_code=territory.code)
        case Territory.Level.EPCI:
            return Q(commune__epci=territory) | Q(commune__parent__epci=territory)
        case Territory.Level.COMMUNE:
            # The commune and its arrondissements, by id: one index lookup.
            return Q(
                commune_id__in=[
                    territory.pk,
                    *territory.children.values_list("pk", flat=True),
                ]
            )
    return Q(commune=territory)
