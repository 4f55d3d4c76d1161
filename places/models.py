"""Places, their reference vocabularies and the territories they belong to.

Field names are English; `verbose_name`s are the French labels coordinators read.
The comment on each field of `Place` names the column of the national standard
(« Standard de données des lieux de médiation numérique » v1.0.2) it carries.
"""

import datetime as dt
import functools
import math
import operator
import re
import unicodedata

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.contrib.postgres.indexes import GinIndex, SpGistIndex
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    SearchVectorField,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.core.validators import RegexValidator
from django.db import connections, transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Log, Lower, Now
from django.db.models.lookups import GreaterThanOrEqual, Range
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from . import hours, quality
from .quality import Flag

# The standard's patterns, enforced by the database as well as by forms.
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}$"
PIVOT_PATTERN = r"^[a-zA-Z0-9]{9,14}$"
POSTAL_CODE_PATTERN = r"^[0-9]{5}$"


class PointX(models.Func):
    function = "ST_X"
    output_field = models.FloatField()


class PointY(models.Func):
    function = "ST_Y"
    output_field = models.FloatField()


class ImmutableUnaccent(models.Func):
    """unaccent() made indexable (migration 0003)."""

    function = "immutable_unaccent"
    output_field = models.TextField()


class TrigramCloseTo(models.Func):
    """`a % b` (pg_trgm): similar strings, with the trigram index on `a`."""

    template = "%(expressions)s"
    arg_joiner = " %% "
    output_field = models.BooleanField()


class CloseWords(models.Func):
    """`a <% b` (pg_trgm): some run of words of b is close to a, typos allowed."""

    template = "%(expressions)s"
    arg_joiner = " <%% "
    output_field = models.BooleanField()


class Vocabulary(models.TextChoices):
    """The reference lists describing a place; all but equipment are the standard's."""

    SERVICE = "service", _("Services")
    PUBLIC = "public", _("Publics spécifiquement adressés")
    SPECIAL_SUPPORT = "special_support", _("Prise en charge spécifique")
    FEE = "fee", _("Frais à charge")
    ACCESS_MODE = "access_mode", _("Modalités d’accès")
    SUPPORT_MODE = "support_mode", _("Modalités d’accompagnement")
    PROGRAMME = "programme", _("Dispositifs et programmes nationaux")
    LABEL = "label", _("Formations et labels")
    STRUCTURE_TYPE = "structure_type", _("Typologies de structure")
    EQUIPMENT = "equipment", _("Équipements")


def in_language(obj, name: str, french: str = "") -> str:
    """`obj.<name>` in the active language: its `<name>_en` on English pages when
    written, else the French (`obj.<french>`, by default `obj.<name>`): the
    reference labels of `Term` and `Kind`."""
    language = get_language() or settings.LANGUAGE_CODE
    if language != settings.LANGUAGE_CODE:
        translated = getattr(obj, f"{name}_{language}", "")
        if translated:
            return translated
    return getattr(obj, french or name)


class TermManager(models.Manager):
    def __init__(self, vocabulary: str | None = None):
        super().__init__()
        self.vocabulary = vocabulary

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.vocabulary:
            queryset = queryset.filter(vocabulary=self.vocabulary)
        return queryset

    def get_by_natural_key(self, vocabulary: str, code: str):
        return self.get(vocabulary=vocabulary, code=code)


class Term(models.Model):
    """One value of one vocabulary: a service, a public, a fee, a piece of equipment…

    `value` is the exact spelling of the national standard (what import and export
    read and write); `code` is the short form used in URLs (`?service=…`).
    """

    vocabulary = models.CharField(_("liste"), max_length=20, choices=Vocabulary)
    code = models.SlugField(_("code"), max_length=80)
    value = models.CharField(
        _("valeur du standard"),
        max_length=200,
        help_text=_("Orthographe exacte de la valeur dans le standard national."),
    )
    label = models.CharField(_("libellé"), max_length=200)
    label_en = models.CharField(_("libellé en anglais"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = TermManager()

    class Meta:
        verbose_name = _("valeur de référence")
        verbose_name_plural = _("valeurs de référence")
        ordering = ["vocabulary", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["vocabulary", "code"], name="term_unique_code"
            ),
            models.UniqueConstraint(
                fields=["vocabulary", "value"], name="term_unique_value"
            ),
            models.CheckConstraint(
                condition=Q(vocabulary__in=Vocabulary.values),
                name="term_vocabulary_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.label_i18n

    @property
    def label_i18n(self) -> str:
        return in_language(self, "label")

    def natural_key(self) -> tuple[str, str]:
        return (self.vocabulary, self.code)

    def save(self, *args, **kwargs):
        vocabulary = getattr(self, "VOCABULARY", None)
        if vocabulary:
            self.vocabulary = vocabulary
        super().save(*args, **kwargs)


def _vocabulary_proxy(name: str, vocabulary: Vocabulary, singular: str):
    """A proxy of `Term` restricted to one vocabulary, for its own admin page."""
    meta = type(
        "Meta",
        (),
        {
            "proxy": True,
            "verbose_name": singular,
            "verbose_name_plural": vocabulary.label,
        },
    )
    attrs = {
        "__module__": __name__,
        "Meta": meta,
        "VOCABULARY": vocabulary.value,
        "objects": TermManager(vocabulary.value),
    }
    return type(name, (Term,), attrs)


Service = _vocabulary_proxy("Service", Vocabulary.SERVICE, _("service"))
Public = _vocabulary_proxy("Public", Vocabulary.PUBLIC, _("public"))
SpecialSupport = _vocabulary_proxy(
    "SpecialSupport", Vocabulary.SPECIAL_SUPPORT, _("prise en charge spécifique")
)
Fee = _vocabulary_proxy("Fee", Vocabulary.FEE, _("frais à charge"))
AccessMode = _vocabulary_proxy(
    "AccessMode", Vocabulary.ACCESS_MODE, _("modalité d’accès")
)
SupportMode = _vocabulary_proxy(
    "SupportMode", Vocabulary.SUPPORT_MODE, _("modalité d’accompagnement")
)
Programme = _vocabulary_proxy("Programme", Vocabulary.PROGRAMME, _("dispositif"))
Label = _vocabulary_proxy("Label", Vocabulary.LABEL, _("formation ou label"))
StructureType = _vocabulary_proxy(
    "StructureType", Vocabulary.STRUCTURE_TYPE, _("typologie de structure")
)
Equipment = _vocabulary_proxy("Equipment", Vocabulary.EQUIPMENT, _("équipement"))


class Source(models.Model):
    """A producer of data, as places name it (`Place.source`), with the name
    citizens read on a place's page. Imports add the producers they meet, their
    code as name: a place page names its producer only once a national
    administrator has written a name for people."""

    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(
        _("nom"), max_length=200, help_text=_("Le nom du producteur, pour le public.")
    )
    website = models.URLField(_("site web"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("source de données")
        verbose_name_plural = _("sources de données")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class KindManager(models.Manager):
    def get_by_natural_key(self, code: str):
        return self.get(code=code)


class Kind(models.Model):
    """What a place is for a citizen: EPN, coworking, fablab, tiers-lieu."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label = models.CharField(_("libellé"), max_length=80)
    label_plural = models.CharField(_("libellé au pluriel"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    label_en = models.CharField(_("libellé en anglais"), max_length=80, blank=True)
    label_plural_en = models.CharField(
        _("libellé au pluriel en anglais"), max_length=80, blank=True
    )
    description_en = models.TextField(_("description en anglais"), blank=True)
    icon = models.CharField(
        _("icône"),
        max_length=80,
        blank=True,
        help_text=_("Nom du fichier SVG dans static/icons/."),
    )
    structure_type = models.ForeignKey(
        Term,
        verbose_name=_("typologie du standard"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"vocabulary": Vocabulary.STRUCTURE_TYPE},
        related_name="+",
    )
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = KindManager()

    class Meta:
        verbose_name = _("type de lieu")
        verbose_name_plural = _("types de lieux")
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label_i18n

    @property
    def label_i18n(self) -> str:
        return in_language(self, "label")

    @property
    def label_plural_i18n(self) -> str:
        return in_language(self, "label_plural")

    @property
    def description_i18n(self) -> str:
        return in_language(self, "description")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


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


class TerritoryManager(models.Manager):
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


# Every many-to-many field of a place (kept in its history).
LINKED_FIELDS = (
    "kinds",
    "structure_types",
    "services",
    "publics",
    "special_support",
    "fees",
    "access_modes",
    "support_modes",
    "programmes",
    "labels",
    "equipment",
)
# The term fields whose names (and descriptions) are words of the search vector
# (migration 0015 and the importer's search text).
SEARCHED_TERM_FIELDS = ("services", "programmes", "labels", "equipment")
# The term fields whose ids `Place.term_ids` holds (the facets of the search).
FACET_TERM_FIELDS = (
    "services",
    "publics",
    "fees",
    "support_modes",
    "programmes",
    "labels",
    "equipment",
)


def _filled(condition: Q, points: int) -> Case:
    return Case(When(condition, then=Value(points)), default=Value(0))


COMPLETENESS = (
    _filled(~Q(opening_hours="") & Q(opening_hours_valid=True), 2)
    + _filled(~Q(phone="") | ~Q(emails=[]) | ~Q(websites=[]), 2)
    + _filled(Q(term_ids__len__gt=0), 1)
    + _filled(~Q(summary="") | ~Q(description=""), 1)
    + _filled(Q(location__isnull=False, location_is_approximate=False), 1)
    + _filled(Q(verified_at__isnull=False), 2)
    - _filled(Q(flags__contains=[Flag.NAME_IDENTIFIER]), 8)
    - _filled(Q(flags__contains=[Flag.DATE_UNKNOWN]), 1)
)
# The listings' default order, when no distance or relevance applies: the most
# useful pages first, then the most recently checked or updated.
DEFAULT_ORDER_EXPRESSIONS = (
    F("completeness").desc(),
    F("verified_at").desc(nulls_last=True),
    F("data_updated_on").desc(),
    F("name").asc(),
    F("id").asc(),
)


# `q`'s order (see PlaceQuerySet.relevant): the relevance tier, the distance when
# there is a point, the full-text rank when there are words, then these.
RELEVANCE_ORDER = DEFAULT_ORDER_EXPRESSIONS
SEARCH_CONFIG = "french_unaccent"
FEW_MATCHES = 3
CLOSE_NAMES = 20
NEAR_EXACT = 0.5  # trigram similarity of a name to the query


def name_search_query(text: str) -> SearchQuery | None:
    """Every word of `text` in a place's name (the search vector's weight A)."""
    words = re.findall(r"[a-z0-9]+", normalize_name(text))
    if not words:
        return None
    return SearchQuery(
        " & ".join(f"{word}:A" for word in words),
        config=SEARCH_CONFIG,
        search_type="raw",
    )


class PlaceQuerySet(models.QuerySet):
    def published(self) -> "PlaceQuerySet":
        return self.filter(status=Place.Status.PUBLISHED)

    def of_kinds(self, kinds) -> "PlaceQuerySet":
        """Places of any of `kinds` (Kind objects or ids; OR)."""
        return self.filter(kind_ids__overlap=[getattr(k, "pk", k) for k in kinds])

    def with_terms(self, terms) -> "PlaceQuerySet":
        """Places with any of the facet `terms` (Term objects or ids; OR), whatever
        the field: term ids are unique across vocabularies."""
        return self.filter(term_ids__overlap=[getattr(t, "pk", t) for t in terms])

    def in_territory(self, territory: "Territory") -> "PlaceQuerySet":
        """Places whose commune lies in `territory`, whatever its level."""
        return self.filter(territory_condition(territory))

    def relevant(
        self, understood, needs: list[Q], close_names: bool = False
    ) -> "PlaceQuerySet":
        """Places matching what `q` was understood as (places/understanding.py),
        annotated `tier` (and `rank` when words remain) for RELEVANCE_ORDER:

        4. a name match: the words typed are all in the name ("Médiathèque de
           Brest"); when a need is understood, the name must also be close to the
           whole query ("Maison France Services", not "Espace Jeunes" for "jeunes");
        3. the place offers every need understood and mentions the other words;
        2. it offers every need;
        1. it mentions the words typed (French full text over name, kinds, services,
           town, summary and description: the `search_vector` the database keeps);
        0. its name is close to the words, typos allowed: with `close_names` (the
           caller's finding that the words find fewer than FEW_MATCHES places), and
           never more than CLOSE_NAMES.
        """
        words, typed = understood.words, understood.name_words
        query = SearchQuery(words, config=SEARCH_CONFIG, search_type="websearch")
        words_hit = Q(search_vector=query) if words else None
        everything = understood.all_words
        text_hit = (
            Q(
                search_vector=SearchQuery(
                    everything, config=SEARCH_CONFIG, search_type="websearch"
                )
            )
            if everything
            else None
        )
        name_query = name_search_query(typed)
        name_hit = Q(search_vector=name_query) if name_query else None
        need_hit = functools.reduce(operator.and_, needs) if needs else None
        name = ImmutableUnaccent(Lower("name"))  # as in the trigram index
        if need_hit is not None and name_hit is not None:
            whole = Value(normalize_name(typed))
            close = self.model.objects.filter(
                Q(TrigramCloseTo(name, whole))
                & Q(GreaterThanOrEqual(TrigramSimilarity(name, whole), NEAR_EXACT))
                & name_hit
            )
            # The few names close to the query, found once through the trigram
            # index: testing each place of a broad need for it is a hash lookup.
            name_hit = Q(pk__in=close.values("pk"))
        tiers = [
            (4, name_hit),
            (
                3,
                need_hit & words_hit
                if need_hit is not None and words_hit is not None
                else None,
            ),
            (2, need_hit),
            (1, text_hit),
        ]
        tiers = [(n, condition) for n, condition in tiers if condition is not None]
        if not tiers:  # only a place was typed: everything in it
            return self
        # The facet arrays first: PostgreSQL tests an OR's terms in order, and
        # reading an array is cheaper than reading a search vector.
        found = functools.reduce(
            operator.or_,
            (
                condition
                for n, condition in sorted(tiers, key=lambda t: t[0] != 2)
                # Without a need, a name match is a text match: one test is enough.
                if not (n == 4 and need_hit is None and text_hit is not None)
            ),
        )
        if need_hit is None and close_names:
            close_to = Value(normalize_name(everything.replace('"', " ")))
            close = (
                self.filter(CloseWords(close_to, name))
                .annotate(similarity=TrigramWordSimilarity(close_to, name))
                .order_by("-similarity")
                .values("pk")[:CLOSE_NAMES]
            )
            found |= Q(pk__in=close)
        found = self.filter(found).annotate(
            tier=Case(
                *(When(condition, then=Value(n)) for n, condition in tiers),
                default=Value(0),
            )
        )
        return (
            found.annotate(rank=SearchRank(F("search_vector"), query))
            if words
            else found
        )

    def near(self, lon: float, lat: float, km: float) -> "PlaceQuerySet":
        """Places within `km` of (lon, lat), nearest first, annotated `distance`.

        The bounding box (`&&`) uses the spatial index; the exact spherical distance
        is then computed only for the places inside it.
        """
        point = Point(lon, lat, srid=4326)
        dlat = km / 111.0
        dlon = km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
        box = Polygon.from_bbox((lon - dlon, lat - dlat, lon + dlon, lat + dlat))
        box.srid = 4326
        return (
            self.filter(location__bboverlaps=box)
            .filter(location__distance_lte=(point, D(km=km)))
            .annotate(distance=Distance("location", point))
            .order_by("distance", "name")
        )

    def in_box(
        self, west: float, south: float, east: float, north: float
    ) -> "PlaceQuerySet":
        """Places inside a longitude/latitude box (the part of a map in view)."""
        box = Polygon.from_bbox((west, south, east, north))
        box.srid = 4326
        return self.filter(location__bboverlaps=box)

    def open_at(self, moment: dt.datetime) -> "PlaceQuerySet":
        """Published places open at `moment` (see `OpeningPeriod`): a place
        closed for good keeps its periods, and is not open."""
        periods = OpeningPeriod.objects.filter(
            place_id=OuterRef("pk"), during__contains=moment
        )
        return self.filter(Exists(periods), status=Place.Status.PUBLISHED)

    def for_cards(self) -> "PlaceQuerySet":
        """What a list of place cards shows, in a fixed number of queries."""
        return self.select_related("commune").prefetch_related(
            Prefetch("kinds", queryset=Kind.objects.order_by("position")),
            "services",
        )


class PlaceManager(models.Manager.from_queryset(PlaceQuerySet)):
    def get_by_natural_key(self, slug: str) -> "Place":
        return self.get(slug=slug)


class Place(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        PUBLISHED = "published", _("publié")
        CLOSED = "closed", _("fermé définitivement")

    # Identity and provenance.
    name = models.CharField(_("nom"), max_length=250)  # nom
    slug = models.SlugField(
        _("adresse de la page"),
        max_length=120,
        unique=True,
        blank=True,
        help_text=_(
            "Calculée à la création à partir du nom et de la commune ; stable ensuite."
        ),
    )
    status = models.CharField(
        _("statut"), max_length=10, choices=Status, default=Status.DRAFT, db_index=True
    )
    source = models.CharField(
        _("source"), max_length=100, blank=True, help_text=_("Producteur des données.")
    )  # source
    source_id = models.CharField(
        _("identifiant à la source"), max_length=255, blank=True
    )  # id
    pivot = models.CharField(
        _("SIRET, RNA ou RIDET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(PIVOT_PATTERN)],
    )  # pivot
    parent_network = models.CharField(
        _("structure parente"), max_length=250, blank=True
    )  # structure_parente

    # What.
    kinds = models.ManyToManyField(
        Kind, verbose_name=_("types de lieu"), related_name="places"
    )
    structure_types = models.ManyToManyField(
        Term,
        verbose_name=_("typologies"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.STRUCTURE_TYPE},
    )  # typologie
    # varchar(280): the database refuses a longer summary.
    summary = models.CharField(
        _("présentation courte"), max_length=280, blank=True
    )  # presentation_resume
    description = models.TextField(
        _("présentation détaillée"), blank=True
    )  # presentation_detail
    services = models.ManyToManyField(
        Term,
        verbose_name=_("services"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SERVICE},
    )  # services
    publics = models.ManyToManyField(
        Term,
        verbose_name=_("publics spécifiquement adressés"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.PUBLIC},
    )  # publics_specifiquement_adresses
    special_support = models.ManyToManyField(
        Term,
        verbose_name=_("prise en charge spécifique"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SPECIAL_SUPPORT},
    )  # prise_en_charge_specifique
    fees = models.ManyToManyField(
        Term,
        verbose_name=_("frais à charge"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.FEE},
    )  # frais_a_charge
    access_modes = models.ManyToManyField(
        Term,
        verbose_name=_("modalités d’accès"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.ACCESS_MODE},
    )  # modalites_acces
    support_modes = models.ManyToManyField(
        Term,
        verbose_name=_("modalités d’accompagnement"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.SUPPORT_MODE},
    )  # modalites_accompagnement
    programmes = models.ManyToManyField(
        Term,
        verbose_name=_("dispositifs et programmes nationaux"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.PROGRAMME},
    )  # dispositif_programmes_nationaux
    labels = models.ManyToManyField(
        Term,
        verbose_name=_("formations et labels"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.LABEL},
    )  # formations_labels
    other_labels = models.CharField(
        _("autres formations et labels"), max_length=500, blank=True
    )  # autres_formations_labels
    equipment = models.ManyToManyField(
        Term,
        verbose_name=_("équipements"),
        blank=True,
        related_name="+",
        limit_choices_to={"vocabulary": Vocabulary.EQUIPMENT},
    )

    # Where.
    address = models.CharField(_("adresse"), max_length=250)  # adresse
    address_extra = models.CharField(
        _("complément d’adresse"), max_length=250, blank=True
    )  # complement_adresse
    postal_code = models.CharField(
        _("code postal"), max_length=5, validators=[RegexValidator(POSTAL_CODE_PATTERN)]
    )  # code_postal
    commune = models.ForeignKey(
        Territory,
        verbose_name=_("commune"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"level__in": ["commune", "arrondissement"]},
    )  # commune, code_insee
    location = models.PointField(
        _("position"), srid=4326, null=True, blank=True
    )  # latitude, longitude
    location_is_approximate = models.BooleanField(
        _("position approximative"),
        default=False,
        help_text=_("Placée au centre de la commune faute de coordonnées."),
    )
    itinerant = models.BooleanField(_("itinérant"), default=False)  # itinerance
    fixed_site = models.BooleanField(_("lieu fixe"), default=True)  # itinerance

    # When and how to reach.
    opening_hours = models.CharField(
        _("horaires"),
        max_length=500,
        blank=True,
        validators=[hours.validate_opening_hours],
        help_text=_(
            "Syntaxe OpenStreetMap, par ex. « Mo-Fr 09:00-12:00,14:00-18:00; PH off »."
        ),
    )  # horaires
    opening_hours_valid = models.BooleanField(
        _("horaires lisibles"),
        default=True,
        help_text=_("Faux quand des horaires importés ne suivent pas la syntaxe OSM."),
    )
    phone = models.CharField(
        _("téléphone"),
        max_length=16,
        blank=True,
        validators=[RegexValidator(PHONE_PATTERN)],
        help_text=_("Format international, par ex. +33123456789."),
    )  # telephone
    emails = ArrayField(
        models.EmailField(max_length=254),
        verbose_name=_("courriels"),
        default=list,
        blank=True,
    )  # courriels
    websites = ArrayField(
        models.URLField(max_length=500),
        verbose_name=_("sites web"),
        default=list,
        blank=True,
    )  # site_web
    booking_url = models.URLField(
        _("prise de rendez-vous"), max_length=500, blank=True
    )  # prise_rdv
    accessibility_url = models.URLField(
        _("fiche Accès libre"), max_length=500, blank=True
    )  # fiche_acces_libre

    # Kept by the database (triggers of migration 0003): name, kinds, services, town,
    # summary and description, French stemming, accents ignored.
    search_vector = SearchVectorField(null=True, editable=False)
    # Also kept by the database (migration 0005): the ids of the place's kinds and of
    # its facet terms (services, publics, fees, support modes, programmes, labels,
    # equipment), so that facet filters and counts read one row per place instead of
    # joining eight link tables. Whatever Django writes here is replaced by the truth.
    kind_ids = ArrayField(
        models.BigIntegerField(), default=list, db_default=[], editable=False
    )
    term_ids = ArrayField(
        models.BigIntegerField(), default=list, db_default=[], editable=False
    )
    flags = ArrayField(
        models.CharField(max_length=30, choices=Flag),
        verbose_name=_("à vérifier"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Ce qui, dans ces informations, demande un coup d’œil."),
    )
    # How useful the place's page is to a citizen, for the default order of the
    # listings (DEFAULT_ORDER_EXPRESSIONS): hours, a way to get in touch, what it
    # offers, a precise position, a coordinator's check; a name that is only an
    # identifier goes last. Kept by the database from the row itself.
    completeness = models.GeneratedField(
        expression=COMPLETENESS,
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("complétude"),
    )
    # Kept by the database (migration 0013): whether the place has ever been
    # published. Only those withdrawn since are announced to partners in sync (the
    # API): a place prepared and never shown stays unknown to them.
    was_public = models.BooleanField(
        _("déjà publié"), default=False, db_default=False, editable=False
    )
    unmapped_values = models.JSONField(
        _("valeurs non reconnues"),
        default=dict,
        blank=True,
        help_text=_(
            "Valeurs d’un fichier importé qui ne correspondent à aucune valeur du "
            "standard, gardées ici par colonne pour qu’un coordinateur les traite."
        ),
    )

    # Freshness.
    data_updated_on = models.DateField(
        _("date de mise à jour des informations"), default=dt.date.today
    )  # date_maj
    verified_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True, db_default=Now())

    objects = PlaceManager()
    # Every change made through Django (admin, accepted suggestions), with who and
    # when; imports write theirs in bulk (places/exchange/importer.py).
    history = HistoricalRecords(
        excluded_fields=["search_vector", "kind_ids", "term_ids", "completeness"],
        m2m_fields=LINKED_FIELDS,
    )

    class Meta:
        verbose_name = _("lieu")
        verbose_name_plural = _("lieux")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=~Q(source_id=""),
                name="place_unique_source_id",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "closed"]),
                name="place_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(location__isnull=True)
                | Q(
                    Range(PointX("location"), (-180, 180)),
                    Range(PointY("location"), (-90, 90)),
                ),
                name="place_location_valid",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=PHONE_PATTERN),
                name="place_phone_e164",
            ),
            models.CheckConstraint(
                condition=Q(pivot="") | Q(pivot__regex=PIVOT_PATTERN),
                name="place_pivot_valid",
            ),
            models.CheckConstraint(
                condition=Q(postal_code__regex=POSTAL_CODE_PATTERN),
                name="place_postal_code_valid",
            ),
            models.CheckConstraint(
                condition=Q(itinerant=True) | Q(fixed_site=True),
                name="place_fixed_or_itinerant",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "name"], name="place_status_name"),
            models.Index(fields=["pivot"], name="place_pivot"),
            GinIndex(fields=["search_vector"], name="place_search_vector"),
            GinIndex(fields=["kind_ids"], name="place_kind_ids"),
            GinIndex(fields=["term_ids"], name="place_term_ids"),
            GinIndex(fields=["flags"], name="place_flags"),
            # The API's synchronisation: what changed since a moment.
            models.Index(fields=["updated_at"], name="place_updated_at"),
            # The listings' default order, published places only.
            models.Index(
                *DEFAULT_ORDER_EXPRESSIONS,
                condition=Q(status="published"),
                name="place_default_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def get_absolute_url(self) -> str:
        return reverse("places:detail", kwargs={"slug": self.slug})

    def save(self, *args, **kwargs):
        self.opening_hours_valid = (
            self.parsed_hours is not None or not self.opening_hours
        )
        self.flags = self.flags_now()
        if self.slug:
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or "default"
        with transaction.atomic(using=using):
            lock_new_slugs(using)
            self.slug = self.unique_slug()
            super().save(*args, **kwargs)

    def flags_now(self) -> list[str]:
        """The place's flags for its current values (places/quality.py)."""
        centre = self.commune.centre if self.commune_id else None
        return quality.flags_of(
            self.name,
            self.location.coords if self.location else None,
            centre.coords if centre else None,
            self.data_updated_on,
            kept=tuple(self.flags),
        )

    def unique_slug(self) -> str:
        town = self.commune.name if self.commune_id else ""
        base = slugify(f"{self.name} {town}")[:100].strip("-") or "lieu"
        slug, n = base, 1
        while Place.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            n += 1
            slug = f"{base}-{n}"
        return slug

    @property
    def known_update(self) -> dt.date | None:
        """The date of update citizens are told: none when it is impossible."""
        return None if Flag.DATE_UNKNOWN in self.flags else self.data_updated_on

    @property
    def lon(self) -> float | None:
        return self.location.x if self.location else None

    @property
    def lat(self) -> float | None:
        return self.location.y if self.location else None

    @property
    def parsed_hours(self):
        """The parsed opening hours, or None when absent or invalid (parsed again
        each time: the hours may have changed since)."""
        if not self.opening_hours:
            return None
        try:
            return hours.parse(self.opening_hours, self.lon, self.lat)
        except hours.INVALID:
            return None

    def status_now(self) -> hours.Status | None:
        return hours.status_now(self.opening_hours, self.lon, self.lat)

    def hours_in_words(self) -> str:
        return hours.in_words(self.opening_hours)

    def week(self) -> list[hours.Day]:
        parsed = self.parsed_hours
        return hours.upcoming_week(parsed, timezone.localdate()) if parsed else []


# pg_advisory_xact_lock key under which new places get their slug ("EPN").
NEW_SLUGS_LOCK = 0x45504E


def lock_new_slugs(using: str = "default") -> None:
    """Until the end of the current transaction, be the only writer that gives new
    places their slugs (imports take it for their whole run): two writers never
    pick the same slug, and imports run one at a time."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [NEW_SLUGS_LOCK])


class OpeningPeriod(models.Model):
    """When a place is open, as real date-time ranges over the coming days, computed
    from its OSM hours by `places.openings` (public holidays and times past midnight
    included), so that "open now" is one indexed query rather than parsing every
    place's hours on each request. Refreshed on save, after imports, and daily by
    `manage.py refresh_openings`."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="openings")
    during = DateTimeRangeField()

    class Meta:
        verbose_name = _("période d’ouverture")
        verbose_name_plural = _("périodes d’ouverture")
        # SP-GiST answers "which ranges hold this instant" 5× faster than GiST
        # here, and with the place id inside, from the index alone (100 → 17 ms
        # for the 25,000 places open at once among 100,000).
        indexes = [
            SpGistIndex(fields=["during"], include=["place_id"], name="opening_during")
        ]


def kinds_with_counts():
    """Every kind with the number of its published places (one query)."""
    return Kind.objects.annotate(
        n_places=Count("places", filter=Q(places__status=Place.Status.PUBLISHED))
    )
