"""Computing the distances of `Distance` with PostGIS nearest-neighbour searches.

A distance runs in a straight line from the commune's centre (the centres file of
the set-up) to the place's point, in metres on the WGS84 spheroid (`ST_Distance`
on geography). The `<->` operator on geography walks a GiST index in order of the
distance on the sphere, which differs from the spheroid's by under 0.6 %: the four
nearest on the sphere are measured on the spheroid and the nearest of them kept
(ties: the lower place id), so that the result is the true nearest.

`refresh_all()` recomputes every commune and dimension (after an import, nightly);
`refresh_places(ids)` updates only what some places' changes can move (after an
edit): a few hundred milliseconds instead of tens of seconds. Both hold the same
advisory lock, so that they never interleave, and write in one transaction: pages
never see a half-computed table.
"""

import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from places.models import Kind, Place, Service

from .models import Distance, Run

LOCK = 7_103_722  # pg_advisory_xact_lock key of the coverage tables
KEPT_RUNS = 30
CANDIDATES = 4  # nearest on the sphere, re-measured on the spheroid
# A dimension with at least this share of the places is searched in their index.
SHARED_INDEX_SHARE = 0.25
PUBLISHED = f"p.status = '{Place.Status.PUBLISHED}' AND p.location IS NOT NULL"
# The expression of the place_published_geography index, written exactly so.
PLACE_POINT = "p.location::geography(POINT,4326)"


@dataclass(frozen=True)
class Dimension:
    """A set of places that coverage is measured against: all published places,
    those offering a service, or those of a kind (`?service=` / `?type=`)."""

    facet: str
    code: str = ""
    label: str = ""
    column: str = ""  # the Place array of ids that holds `term_id`
    term_id: int | None = None

    def condition(self) -> tuple[str, list]:
        if not self.column:
            return PUBLISHED, []
        return f"{PUBLISHED} AND p.{self.column} @> ARRAY[%s]::bigint[]", [self.term_id]

    def rows(self):
        return Distance.objects.filter(facet=self.facet, code=self.code)


EVERY_PLACE = Dimension(Distance.Facet.ALL, label=_("tous les lieux"))


def dimensions() -> list[Dimension]:
    """Every place; each service of the standard; each kind of place."""
    return [
        EVERY_PLACE,
        *(
            Dimension(Distance.Facet.SERVICE, s.code, s.label, "term_ids", s.pk)
            for s in Service.objects.order_by("position", "label")
        ),
        *(
            Dimension(Distance.Facet.KIND, k.code, k.label, "kind_ids", k.pk)
            for k in Kind.objects.order_by("position", "label")
        ),
    ]


def nearest(centre: str, source: "Source") -> str:
    """SQL of the nearest place (id, metres) to the geography `centre`."""
    return (
        f"SELECT k.id, ST_Distance({centre}, k.g) AS metres FROM ("
        f"SELECT p.id, {source.point} AS g FROM {source.places} "
        f"ORDER BY {source.point} <-> {centre} LIMIT {CANDIDATES}"
        ") k ORDER BY metres, k.id LIMIT 1"
    )


@dataclass
class Source:
    """Where the places of a dimension are searched: `<->` walks a GiST index in
    distance order and drops what fails the condition, so that a rare service
    would walk most of the index for each commune. A dimension of many places is
    searched in the index of all published places; a rarer one in a temporary
    table of its own places, with its own index (tens of milliseconds to build)."""

    places: str
    point: str
    params: list
    count: int

    @classmethod
    def of(cls, cursor, dimension: Dimension, counts: dict) -> "Source":
        condition, params = dimension.condition()
        count = counts.get((dimension.column, dimension.term_id), 0)
        if count >= counts["all"] * SHARED_INDEX_SHARE:
            return cls(f"places_place p WHERE {condition}", PLACE_POINT, params, count)
        cursor.execute("DROP TABLE IF EXISTS coverage_place")
        cursor.execute(
            "CREATE TEMP TABLE coverage_place ON COMMIT DROP AS "
            f"SELECT p.id, {PLACE_POINT} AS g FROM places_place p WHERE {condition}",
            params,
        )
        cursor.execute("CREATE INDEX ON coverage_place USING gist (g)")
        cursor.execute("ANALYZE coverage_place")
        return cls("coverage_place p", "p.g", [], count)


def published_counts(cursor) -> dict:
    """How many published places with a point each dimension has."""
    counts = {}
    cursor.execute(f"SELECT count(*) FROM places_place p WHERE {PUBLISHED}")
    counts["all"] = cursor.fetchone()[0]
    counts[("", None)] = counts["all"]
    for column in ("term_ids", "kind_ids"):
        cursor.execute(
            f"SELECT unnest(p.{column}), count(*) FROM places_place p "
            f"WHERE {PUBLISHED} GROUP BY 1"
        )
        counts.update(((column, term), n) for term, n in cursor.fetchall())
    return counts


def take_nearer(cursor, dimension: Dimension, place_ids: list[int]) -> int:
    """The communes that one of `place_ids` (if of `dimension`) is nearer to than
    their nearest place take it. Only the communes within the dimension's longest
    distance can: `box_around` narrows them on the centres' index."""
    table = Distance._meta.db_table
    cursor.execute(
        f"SELECT max(metres), bool_or(metres IS NULL) FROM {table} "
        "WHERE facet = %s AND code = %s",
        [dimension.facet, dimension.code],
    )
    longest, unreached = cursor.fetchone()
    if longest is None and not unreached:
        return 0  # never computed
    near, params = "TRUE", []
    if not unreached:
        near, params = box_around("p.location", "%s", "c.centre"), [longest] * 3
    condition, condition_params = dimension.condition()
    cursor.execute(
        f"UPDATE {table} d SET metres = x.metres, nearest_id = x.id FROM ("
        "SELECT DISTINCT ON (c.id) c.id AS commune_id, p.id, "
        f"ST_Distance(c.centre::geography, {PLACE_POINT}) AS metres "
        "FROM places_place p JOIN places_territory c "
        f"ON c.level = 'commune' AND c.centre IS NOT NULL AND {near} "
        f"WHERE p.id = ANY(%s) AND {condition} "
        "ORDER BY c.id, metres, p.id) x "
        "WHERE d.commune_id = x.commune_id AND d.facet = %s AND d.code = %s "
        "AND (d.metres IS NULL OR x.metres < d.metres "
        "OR (x.metres = d.metres AND x.id < d.nearest_id))",
        [*params, place_ids, *condition_params, dimension.facet, dimension.code],
    )
    return cursor.rowcount


def box_around(point: str, metres: str, indexed: str) -> str:
    """SQL: `indexed` (a geometry with a GiST index) lies in a box that holds every
    point within `metres` of the geometry `point` (a degree of latitude is at least
    110.574 km; of longitude, 111.32 km times the cosine of the latitude farthest
    from the equator within the box). `metres` is used three times."""
    return (
        f"{indexed} && ST_Expand({point}, {metres} / (111320 * cos(radians("
        f"least(abs(ST_Y({point})) + {metres} / 110574, 89.9)))), {metres} / 110574)"
    )


def lock(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])


def refresh_all() -> Run:
    """Every commune with a centre, every dimension: rewritten in one transaction."""
    started = time.monotonic()
    table = Distance._meta.db_table
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        lock(cursor)
        counts = published_counts(cursor)
        cursor.execute(
            "CREATE TEMP TABLE coverage_centre ON COMMIT DROP AS "
            "SELECT id, centre::geography AS g, population, departement_code, "
            "region_code FROM places_territory "
            "WHERE level = 'commune' AND centre IS NOT NULL"
        )
        cursor.execute(f"DELETE FROM {table}")
        for dimension in dimensions():
            source = Source.of(cursor, dimension, counts)
            cursor.execute(
                f"INSERT INTO {table} (commune_id, population, departement_code, "
                "region_code, facet, code, metres, nearest_id) "
                "SELECT c.id, c.population, c.departement_code, c.region_code, "
                "%s, %s, n.metres, n.id FROM coverage_centre c "
                f"LEFT JOIN LATERAL ({nearest('c.g', source)}) n ON %s",
                [dimension.facet, dimension.code, *source.params, source.count > 0],
            )
            rows += cursor.rowcount
        run = Run.objects.create(
            places=counts["all"], rows=rows, seconds=time.monotonic() - started
        )
        Run.objects.filter(pk__lte=run.pk - KEPT_RUNS).delete()
        return run


def refresh_places(place_ids: list[int]) -> int:
    """After `place_ids` changed (moved, published, withdrawn, deleted, a service
    or kind added or removed): the communes whose nearest place was one of them
    are searched again, and those that one of them, as it is now, is nearer to
    than their nearest take it. Returns the rows changed."""
    table = Distance._meta.db_table
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        lock(cursor)
        counts = published_counts(cursor)
        for dimension in dimensions():
            key = [dimension.facet, dimension.code]
            lost = "d.facet = %s AND d.code = %s AND d.nearest_id = ANY(%s)"
            cursor.execute(
                f"SELECT EXISTS (SELECT FROM {table} d WHERE {lost})",
                [*key, place_ids],
            )
            if cursor.fetchone()[0]:
                source = Source.of(cursor, dimension, counts)
                cursor.execute(
                    f"UPDATE {table} d SET metres = n.metres, nearest_id = n.id "
                    "FROM places_territory c LEFT JOIN LATERAL ("
                    f"{nearest('c.centre::geography', source)}) n ON %s "
                    f"WHERE c.id = d.commune_id AND {lost}",
                    [*source.params, source.count > 0, *key, place_ids],
                )
                rows += cursor.rowcount
            rows += take_nearer(cursor, dimension, place_ids)
        Run.objects.filter(pk=Run.objects.order_by("-pk").values("pk")[:1]).update(
            updated_at=timezone.now()
        )
    return rows
