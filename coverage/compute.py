"""Computing the distances of `Distance` with PostGIS nearest-neighbour searches.

A distance runs in a straight line from the commune's centre (the centres file of
the set-up) to the place's point, in metres on the WGS84 spheroid (`ST_Distance`
on geography). The search is exact in two steps on the points' GiST index: `<->`
(planar, in degrees) finds a near place; its distance on the spheroid bounds the
answer, so the places within a box that holds that circle are measured and the
nearest kept (ties: the lower place id). (`<->` on geography would do it in one
step, but PostgreSQL stops it with "index returned tuples in wrong order" on some
points: the sphere's distances of its index and of its check differ.)

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
PUBLISHED = f"p.status = '{Place.Status.PUBLISHED}' AND p.location IS NOT NULL"
COLUMNS = (
    "commune_id, population, departement_code, region_code, facet, code, metres, "
    "nearest_id"
)
# Beyond this bound, `box_around` holds the whole world rather than a box.
FAR_METRES = 500_000


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

    @property
    def key(self) -> list[str]:
        return [self.facet, self.code]

    def rows(self):
        return Distance.objects.filter(facet=self.facet, code=self.code)


EVERY_PLACE = Dimension(Distance.Facet.ALL, label=_("tous les lieux"))


def dimensions() -> list[Dimension]:
    """Every place; each service of the standard; each kind of place."""
    return [
        EVERY_PLACE,
        *(
            Dimension(Distance.Facet.SERVICE, s.code, s.label_i18n, "term_ids", s.pk)
            for s in Service.objects.order_by("position", "label")
        ),
        *(
            Dimension(Distance.Facet.KIND, k.code, k.label_i18n, "kind_ids", k.pk)
            for k in Kind.objects.order_by("position", "label")
        ),
    ]


def nearest(centre: str) -> str:
    """SQL: the nearest place of `coverage_place` (id, metres) to `centre` (a
    geometry column)."""
    metres = f"ST_Distance({centre}::geography, p.location::geography)"
    return (
        f"SELECT k.id, k.metres FROM (SELECT {metres} AS bound FROM coverage_place p "
        f"ORDER BY p.location <-> {centre} LIMIT 1) b CROSS JOIN LATERAL ("
        f"SELECT p.id, {metres} AS metres FROM coverage_place p "
        f"WHERE {box_around(centre, 'b.bound', 'p.location')} "
        "ORDER BY metres, p.id LIMIT 1) k"
    )


def collect_places(cursor, dimension: Dimension) -> int:
    """The dimension's places into the temporary table `coverage_place`, with its
    own index and fresh statistics (milliseconds to build); returns their number.
    In the table of all places, `<->` would walk most of the index for each commune
    when a service is rare, and on a table whose statistics are stale (a new
    database, a test's) the planner chose to sort every place for each commune."""
    condition, params = dimension.condition()
    cursor.execute("DROP TABLE IF EXISTS coverage_place")
    cursor.execute(
        "CREATE TEMP TABLE coverage_place ON COMMIT DROP AS "
        f"SELECT p.id, p.location FROM places_place p WHERE {condition}",
        params,
    )
    count = cursor.rowcount
    cursor.execute("CREATE INDEX ON coverage_place USING gist (location)")
    cursor.execute("ANALYZE coverage_place")
    return count


def take_nearer(cursor, dimension: Dimension, place_ids: list[int]) -> int:
    """The communes that one of `place_ids` (if of `dimension`) is nearer to than
    their nearest place take it. Only the communes within the dimension's longest
    distance can, and those are narrowed on the centres' index: the ones within
    that distance (at most FAR_METRES) of an edited place, in a box; and the few
    whose nearest place is farther than FAR_METRES or missing (overseas communes,
    for a service offered only in mainland France), by their row."""
    table = Distance._meta.db_table
    cursor.execute(
        f"SELECT max(metres), bool_or(metres IS NULL) FROM {table} "
        "WHERE facet = %s AND code = %s",
        dimension.key,
    )
    longest, unreached = cursor.fetchone()
    if longest is None and not unreached:
        return 0  # never computed
    reach = min(longest or 0.0, FAR_METRES)
    rows = 0
    for near in (
        box_around("p.location", repr(float(reach)), "c.centre"),
        f"(d.metres > {FAR_METRES} OR d.metres IS NULL)",
    ):
        rows += nearer_of(cursor, dimension, place_ids, near)
    return rows


def nearer_of(cursor, dimension: Dimension, place_ids: list[int], near: str) -> int:
    """`take_nearer` for the communes `c` (with their row `d`) that meet `near`."""
    table = Distance._meta.db_table
    condition, condition_params = dimension.condition()
    cursor.execute(
        f"UPDATE {table} d SET metres = x.metres, nearest_id = x.id FROM ("
        "SELECT DISTINCT ON (c.id) c.id AS commune_id, p.id, "
        "ST_Distance(c.centre::geography, p.location::geography) AS metres "
        f"FROM places_place p JOIN places_territory c "
        "ON c.level = 'commune' AND c.centre IS NOT NULL "
        f"JOIN {table} d ON d.commune_id = c.id AND d.facet = %s AND d.code = %s "
        f"AND {near} "
        f"WHERE p.id = ANY(%s) AND {condition} "
        "ORDER BY c.id, metres, p.id) x "
        "WHERE d.commune_id = x.commune_id AND d.facet = %s AND d.code = %s "
        "AND (d.metres IS NULL OR x.metres < d.metres "
        "OR (x.metres = d.metres AND x.id < d.nearest_id))",
        [*dimension.key, place_ids, *condition_params, *dimension.key],
    )
    return cursor.rowcount


def box_around(point: str, metres: str, indexed: str) -> str:
    """SQL: `indexed` (a geometry with a GiST index) lies in a box that holds every
    point within `metres` (SQL) of the geometry `point`. A degree of latitude is at
    least 110.574 km; of longitude, 111.32 km times the cosine of the latitude
    farthest from the equator within the box; 1 % and 1 m more for the great
    circle's bow and rounding. Beyond FAR_METRES, the whole world."""
    m = f"(({metres}) * 1.01 + 1)"
    far = f"({metres}) > {FAR_METRES}"
    return (
        f"{indexed} && ST_Expand({point}, "
        f"CASE WHEN {far} THEN 360 ELSE {m} / (111320 * cos(radians("
        f"least(abs(ST_Y({point})) + {m} / 110574, 89.9)))) END, "
        f"CASE WHEN {far} THEN 180 ELSE {m} / 110574 END)"
    )


def lock(cursor) -> None:
    """One computation at a time. Also: no JIT compilation for these queries (it
    cost more than it saved: 3.2 s instead of 1.6 s for the distance to any place)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
    cursor.execute("SET LOCAL jit = off")


def refresh_all() -> Run:
    """Every commune with a centre, every dimension: rewritten in one transaction."""
    started = time.monotonic()
    table = Distance._meta.db_table
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        lock(cursor)
        # (Dropped at commit; also when this runs inside a larger transaction.)
        cursor.execute("DROP TABLE IF EXISTS coverage_centre")
        cursor.execute(
            "CREATE TEMP TABLE coverage_centre ON COMMIT DROP AS "
            "SELECT id, centre, population, departement_code, "
            "region_code FROM places_territory "
            "WHERE level = 'commune' AND centre IS NOT NULL"
        )
        cursor.execute("ANALYZE coverage_centre")
        cursor.execute(f"DELETE FROM {table}")
        places = 0
        for dimension in dimensions():
            found, written = refresh_dimension(cursor, dimension)
            places = places or found  # the first dimension's: every place
            rows += written
        run = Run.objects.create(
            places=places, rows=rows, seconds=time.monotonic() - started
        )
        Run.objects.filter(pk__lte=run.pk - KEPT_RUNS).delete()
        return run


def refresh_dimension(cursor, dimension: Dimension) -> tuple[int, int]:
    """Every commune's row of `dimension` (the first: every place); returns the
    number of its places and of rows written. Only analysed temporary tables are
    read: rows just written have no statistics yet, and with none the planner read
    them again for each commune (minutes)."""
    table = Distance._meta.db_table
    found = collect_places(cursor, dimension)
    copied = 0
    todo = "SELECT * FROM coverage_centre"
    if dimension is not EVERY_PLACE and found:
        # Where the nearest of all places is of this dimension, it is this
        # dimension's nearest too (same ties): copied, not searched.
        cursor.execute(
            f"INSERT INTO {table} ({COLUMNS}) SELECT e.commune_id, e.population, "
            "e.departement_code, e.region_code, %s, %s, e.metres, e.nearest_id "
            "FROM coverage_everything e JOIN coverage_place p ON p.id = e.nearest_id",
            dimension.key,
        )
        copied = cursor.rowcount
        todo = (
            "SELECT c.* FROM coverage_centre c "
            "JOIN coverage_everything e ON e.commune_id = c.id "
            "LEFT JOIN coverage_place p ON p.id = e.nearest_id WHERE p.id IS NULL"
        )
    cursor.execute("DROP TABLE IF EXISTS coverage_todo")
    cursor.execute(f"CREATE TEMP TABLE coverage_todo ON COMMIT DROP AS {todo}")
    cursor.execute("ANALYZE coverage_todo")
    nearest_place = (
        f"LEFT JOIN LATERAL ({nearest('c.centre')}) n ON TRUE"
        if found
        else "CROSS JOIN (SELECT NULL::float AS metres, NULL::bigint AS id) n"
    )
    cursor.execute(
        f"INSERT INTO {table} ({COLUMNS}) SELECT c.id, c.population, "
        "c.departement_code, c.region_code, %s, %s, n.metres, n.id "
        f"FROM coverage_todo c {nearest_place}",
        dimension.key,
    )
    written = copied + cursor.rowcount
    if dimension is EVERY_PLACE:  # what the next dimensions copy from
        cursor.execute("DROP TABLE IF EXISTS coverage_everything")
        cursor.execute(
            "CREATE TEMP TABLE coverage_everything ON COMMIT DROP AS "
            f"SELECT {COLUMNS} FROM {table} WHERE facet = '' AND code = ''"
        )
        cursor.execute("ANALYZE coverage_everything")
    return found, written


def refresh_places(place_ids: list[int]) -> int:
    """After `place_ids` changed (moved, published, withdrawn, deleted, a service
    or kind added or removed): the communes whose nearest place was one of them
    are searched again, and those that one of them, as it is now, is nearer to
    than their nearest take it. Returns the rows changed."""
    table = Distance._meta.db_table
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        lock(cursor)
        for dimension in dimensions():
            lost = "d.facet = %s AND d.code = %s AND d.nearest_id = ANY(%s)"
            cursor.execute(
                f"SELECT EXISTS (SELECT FROM {table} d WHERE {lost})",
                [*dimension.key, place_ids],
            )
            if cursor.fetchone()[0]:
                found = collect_places(cursor, dimension)
                cursor.execute(
                    f"UPDATE {table} d SET metres = n.metres, nearest_id = n.id "
                    "FROM places_territory c LEFT JOIN LATERAL ("
                    f"{nearest('c.centre')}) n ON %s "
                    f"WHERE c.id = d.commune_id AND {lost}",
                    [found > 0, *dimension.key, place_ids],
                )
                rows += cursor.rowcount
            rows += take_nearer(cursor, dimension, place_ids)
        Run.objects.filter(pk=Run.objects.order_by("-pk").values("pk")[:1]).update(
            updated_at=timezone.now()
        )
    return rows
