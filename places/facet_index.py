"""A search's total and facet counts for visitors, from bitmaps of place ids.

Counting a broad search in SQL unnests the facet arrays of every place it finds:
0.3–0.5 s nationwide at 100,000 places, most of the cost of a cold listing. Here
each process keeps, per kind and per term, the set of published places that have
it (a compressed bitmap, `pyroaring`), read in one statement and kept for
COUNT_CACHE_SECONDS, the time visitors' counts may be old anyway
(`caching.counted`). A search then asks the database only for the ids its other
criteria (words, place, open now, map box) find, or nothing when it has none
(those ids too are kept as counts are, so that every facet asked with the same
words shares them); its facets and counts are intersections of bitmaps, and when it
finds few places its page is read among their ids (docs/decisions.md, "Facet
counts from bitmaps"). Coordinators' counts stay exact: they are counted in SQL
(`facets.facet_counts`), and tests check both ways agree.

Bitmaps hold 32-bit integers: place ids (a sequence) must stay below 2**31.
"""

import array
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from pyroaring import BitMap

from epn_directory.replicas import read_connection

from .caching import counted
from .facets import FACETS, Option

if TYPE_CHECKING:
    from .filters import PlaceFilter

# The parameters that do not narrow the set of places a search finds.
NOT_NARROWING = {facet.param for facet in FACETS} | {"tri", "zoom", "rayon"}

# A page of a search that finds at most this many places is read among their ids:
# the planner, expecting matches all along the default order's index, walked it
# through 49,000 places to find 20 of 3,600 (71 ms; 13 ms by ids).
FEW_IDS = 5000

# Each set of ids as big-endian 32-bit integers in one bytea: half the time of an
# array of bigints, which the driver reads as text.
IDS = "string_agg(int4send(id::int4), ''::bytea)"
READ = f"""
    SELECT 'kind', v, {IDS} FROM places_place, unnest(kind_ids) v
    WHERE status = 'published' GROUP BY v
    UNION ALL
    SELECT 'term', v, {IDS} FROM places_place, unnest(term_ids) v
    WHERE status = 'published' GROUP BY v
    UNION ALL
    SELECT 'published', 0, {IDS} FROM places_place WHERE status = 'published'
"""
# The last index read, in the cache every process sees: when it was read (a small
# entry, asked first), and the bitmaps (about 1 MB at 100,000 places). The version
# changes with the entry's shape.
SHARED = "facet-index:v1"
SHARED_AT = f"{SHARED}:read-at"
# However busy the cache, an index older than this many COUNT_CACHE_SECONDS is
# read again (a cache that fails says "not added", and nothing fresher comes).
OLDEST = 4


@dataclass
class FacetIndex:
    read_at: float
    published: BitMap
    kinds: dict[int, BitMap] = field(default_factory=dict)
    terms: dict[int, BitMap] = field(default_factory=dict)

    def having(self, facet_param: str, pk: int) -> BitMap:
        found = (self.kinds if facet_param == "type" else self.terms).get(pk)
        return found if found is not None else BitMap()

    def having_any(self, facet_param: str, pks: Iterable[int]) -> BitMap:
        return BitMap.union(BitMap(), *(self.having(facet_param, pk) for pk in pks))

    def fresh(self) -> bool:
        return time.time() - self.read_at < settings.COUNT_CACHE_SECONDS

    def serialize(self) -> tuple:
        return (
            self.read_at,
            self.published.serialize(),
            {pk: b.serialize() for pk, b in self.kinds.items()},
            {pk: b.serialize() for pk, b in self.terms.items()},
        )

    @classmethod
    def deserialize(cls, data: tuple) -> "FacetIndex":
        read_at, published, kinds, terms = data
        return cls(
            read_at,
            BitMap.deserialize(published),
            {pk: BitMap.deserialize(b) for pk, b in kinds.items()},
            {pk: BitMap.deserialize(b) for pk, b in terms.items()},
        )


def as_bitmap(packed: bytes | None) -> BitMap:
    ids = array.array("I", bytes(packed or b""))
    if sys.byteorder == "little":
        ids.byteswap()
    return BitMap(ids)


def ids_of(places: QuerySet) -> BitMap:
    """The ids of `places`, packed by the database (100,000 ids: 40 ms less than
    reading them as rows)."""
    try:
        sql, params = places.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # e.g. an unknown town
        return BitMap()
    with read_connection().cursor() as cursor:
        cursor.execute(f"SELECT {IDS} FROM ({sql}) found", params)
        return as_bitmap(cursor.fetchone()[0])


def read_index() -> FacetIndex:
    """Every published place's kinds and terms, as bitmaps (0.5 s at 100,000)."""
    index = FacetIndex(read_at=time.time(), published=BitMap())
    with read_connection().cursor() as cursor:
        cursor.execute(READ)
        for what, pk, packed in cursor.fetchall():
            if what == "published":
                index.published = as_bitmap(packed)
            else:
                (index.kinds if what == "kind" else index.terms)[pk] = as_bitmap(packed)
    return index


_index: FacetIndex | None = None  # this process's


def current_index() -> FacetIndex:
    """This process's index while it is younger than COUNT_CACHE_SECONDS; then the
    one another process shared, if fresher; else one request reads it again and
    shares it, while the other requests keep counting with the old one (never
    older than OLDEST periods). So the database is read about once per
    COUNT_CACHE_SECONDS for the whole site."""
    global _index
    index = _index
    if index is not None and index.fresh():
        return index
    shared_at = cache.get(SHARED_AT)
    if shared_at is not None and (index is None or shared_at > index.read_at):
        index = _index = shared_index() or index
        if index is not None and index.fresh():
            return index
    renewing = cache.add(f"{SHARED}:renewing", 1, 30)  # None: the cache failed
    oldest = time.time() - OLDEST * settings.COUNT_CACHE_SECONDS
    if index is not None and renewing is False and index.read_at > oldest:
        return index  # another request is reading it
    try:
        index = _index = read_index()
        lifetime = settings.COUNT_CACHE_SECONDS * OLDEST
        cache.set(SHARED, index.serialize(), lifetime)
        cache.set(SHARED_AT, index.read_at, lifetime)
    finally:
        if renewing:
            cache.delete(f"{SHARED}:renewing")
    return index


def shared_index() -> FacetIndex | None:
    """The index another process shared, or None (gone, or not readable)."""
    try:
        shared = cache.get(SHARED)
        return FacetIndex.deserialize(shared) if shared is not None else None
    except (ValueError, TypeError):  # another shape: read it again
        return None


def forget() -> None:
    """Drop this process's index (tests: another test's data was rolled back)."""
    global _index
    _index = None


def counts(
    place_filter: "PlaceFilter", options: dict[str, list[Option]]
) -> tuple[int, dict[str, dict[str, int]], BitMap | None]:
    """The search's total, for each facet the number of places per value given the
    *other* criteria (as `facets.facet_counts`), and the ids found when they are
    few (at most FEW_IDS; else None), for the page to be read among them."""
    index = current_index()
    place_filter.is_valid()  # cleans the parameters once
    cleaned = getattr(place_filter.form, "cleaned_data", {})
    ticked = {
        facet.param: [getattr(v, "pk", v) for v in cleaned.get(facet.param) or ()]
        for facet in FACETS
    }
    chosen = {param: pks for param, pks in ticked.items() if pks}
    narrowing = [v for k, v in cleaned.items() if k not in NOT_NARROWING]
    if any(value not in (None, "") for value in narrowing):
        # What the words, the place, the hours or the map box find, read now.
        # Shared by every search with the same words, place, hours or map box
        # (whatever its facets), for as long as counts may be old.
        places = place_filter.filter_queryset(place_filter.queryset, without=chosen)
        if place_filter.request is None:  # no visitor to share with
            found = ids_of(places)
        else:
            key = place_filter.cache_key(without=(*ticked, "tri", "zoom"))
            found = counted(
                place_filter.request, "matching", key, lambda: ids_of(places)
            )
    else:
        found = index.published
    within = {param: index.having_any(param, pks) for param, pks in chosen.items()}

    def narrowed(without: str = "") -> BitMap:
        result = found
        for param, bitmap in within.items():
            if param != without:
                result = result & bitmap
        return result

    everything = narrowed()
    result: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        among = narrowed(facet.param) if facet.param in chosen else everything
        result[facet.param] = {
            option.code: among.intersection_cardinality(
                index.having(facet.param, option.pk)
            )
            for option in options[facet.param]
        }
    # Not for "open now": its page is read now, so that a place that has just
    # opened is listed within PAGE_FRESH_SECONDS, as before.
    few = len(everything) <= FEW_IDS and cleaned.get("ouvert") != "1"
    return len(everything), result, everything if few else None
