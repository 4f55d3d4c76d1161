"""How places are searched, ranked and counted: the QuerySet every listing, map
and API page composes (`visible()`, `nearest()`, `matching()`…)."""

import contextlib
import datetime as dt
import functools
import math
import operator
import re

from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point, Polygon
from django.contrib.gis.measure import D
from django.contrib.postgres.search import (
    SearchQuery,
    SearchRank,
    TrigramSimilarity,
    TrigramWordSimilarity,
)
from django.db import connections
from django.db.models import (
    Case,
    F,
    Prefetch,
    Q,
    Value,
    When,
)
from django.db.models.functions import Lower
from django.db.models.lookups import GreaterThanOrEqual

from ..quality import Flag, km_between
from .common import CloseWords, ImmutableUnaccent
from .openings import OpeningPeriod
from .territories import Territory, normalize_name, territory_condition
from .vocabularies import Kind

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
NEARBY_CANDIDATES = 25
NEAR_EXACT = 0.5  # trigram similarity of a name to the query


@contextlib.contextmanager
def search_vectors_deferred(using: str = "default"):
    """For bulk writers (imports, `seed_places`), inside a transaction: the triggers
    leave the search vector alone (`epn.defer_search_vector`, migration 0003), the
    writer adds the ids of the places it wrote to the set it is given, and on leaving
    each of them gets its vector once, from the SQL function the triggers use
    (`places_place_vector`, migration 0015): one definition of what is searched."""
    written: set[int] = set()
    with connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL epn.defer_search_vector = 'on'")
    yield written
    with connections[using].cursor() as cursor:
        cursor.execute("SET LOCAL epn.defer_search_vector = 'off'")
        cursor.execute(
            "UPDATE places_place p SET search_vector = places_place_vector(p) "
            "WHERE id = ANY(%s)",
            [sorted(written)],
        )


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


def prefix_query(words: list[str]) -> SearchQuery:
    """Every word, or a word beginning with it, anywhere in the search vector."""
    return SearchQuery(
        " & ".join(f"{word}:*" for word in words),
        config=SEARCH_CONFIG,
        search_type="raw",
    )


class PlaceQuerySet(models.QuerySet):
    def published(self) -> "PlaceQuerySet":
        """What citizens search and list."""
        return self.filter(status=self.model.Status.PUBLISHED)

    def visible(self) -> "PlaceQuerySet":
        """What has a public page: published places, and closed ones (their page
        says so); not drafts, nor places merged into another (theirs redirects)."""
        return self.exclude(
            status__in=[self.model.Status.DRAFT, self.model.Status.MERGED]
        )

    def nearest_to(self, place, count: int = 5) -> list:
        """The places of this set nearest to `place`, nearest first, each once. The
        spatial index (KNN) gives candidates in degrees, where a degree of longitude
        is shorter than one of latitude (the index alone put 630 m before 520 m):
        they are ranked by their real distance. Another record of the place itself,
        or of a place already listed (`same_place`), is left out."""
        if place.location is None:
            return []
        candidates = (
            self.exclude(pk=place.pk)
            .filter(location__isnull=False)
            .select_related("commune")
            .only("name", "slug", "address", "location", "commune__name")
            .annotate(distance=Distance("location", place.location))
            .order_by(GeometryDistance("location", place.location))[:NEARBY_CANDIDATES]
        )
        found: list = []
        for other in sorted(candidates, key=lambda other: other.distance.m):
            if len(found) == count:
                break
            if not any(same_place(other, seen) for seen in [place, *found]):
                found.append(other)
        return found

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
            # Tested on each place whose name has the words (the search vector
            # first): a list of every name in France close to the query, made
            # first, cost 120 ms for "france services" even in a village.
            name_hit &= Q(
                GreaterThanOrEqual(TrigramSimilarity(name, whole), NEAR_EXACT)
            )
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
        # The periods holding `moment`, through their index, joined to the places
        # (a test of each place's periods cost 3 times as much nationwide).
        periods = OpeningPeriod.objects.filter(during__contains=moment)
        return self.filter(
            pk__in=periods.values("place_id"), status=self.model.Status.PUBLISHED
        )

    def for_cards(self) -> "PlaceQuerySet":
        """What a list of place cards shows, in a fixed number of queries."""
        return self.select_related("commune").prefetch_related(
            Prefetch("kinds", queryset=Kind.objects.order_by("position")),
            "services",
        )


def same_place(a, b) -> bool:
    """Two records of one place, as far as a list of places nearby can tell: the
    same name, and the same address or within 100 m (sources spell addresses
    their own way: "60 RUE VERANT ROUSSET", "60 Rue Véran Rousset")."""
    if normalize_name(a.name) != normalize_name(b.name):
        return False
    if normalize_name(a.address) == normalize_name(b.address):
        return True
    return bool(a.location and b.location) and (
        km_between(a.location.coords, b.location.coords) <= 0.1
    )


class PlaceManager(models.Manager.from_queryset(PlaceQuerySet)):
    def get_by_natural_key(self, slug: str) -> models.Model:
        return self.get(slug=slug)
