"""What the coverage pages show, read from `Distance` (computed beforehand): a
territory's population by distance to the nearest place, its communes farthest
from one, and, for coordinators, where a new place would bring the most people
within reach."""

import heapq
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, F, Q, QuerySet, Sum, When

from places.models import Place, Territory

from .compute import Dimension, box_around
from .models import Distance

# Distance bands of the map and its legend, in km: (lower, upper].
BANDS = [(0, 2), (2, 5), (5, 10), (10, 20), (20, None)]
THRESHOLDS = (5, 10, 20)  # "population farther than … km"
REACH_KM = 10  # "within reach" for the planning of new places
MAX_OPENINGS = 10


# The territories that have coverage pages.
LEVELS = (Territory.Level.REGION, Territory.Level.DEPARTEMENT)


def code_field(territory: Territory) -> str:
    """The field (of a commune, and of its distances) that says it is in
    `territory`, a région or a département."""
    if territory.level == Territory.Level.REGION:
        return "region_code"
    return "departement_code"


def in_territory(queryset: QuerySet, territory: Territory | None) -> QuerySet:
    """Communes, or their distances, in `territory` (None: the whole country)."""
    if territory is None:
        return queryset
    return queryset.filter(**{code_field(territory): territory.code})


def communes(territory: Territory | None) -> QuerySet:
    return in_territory(
        Territory.objects.filter(level=Territory.Level.COMMUNE), territory
    )


def farther(km: float) -> Q:
    """Rows farther than `km` from any place of their dimension (none at all is
    farther than any distance)."""
    return Q(metres__gt=km * 1000) | Q(metres__isnull=True)


def band_condition(lower: float, upper: float | None) -> Q:
    if upper is None:
        return farther(lower)
    if lower == 0:
        return Q(metres__lte=upper * 1000)
    return Q(metres__gt=lower * 1000, metres__lte=upper * 1000)


def distances(territory: Territory | None, dimension: Dimension) -> QuerySet:
    return in_territory(dimension.rows(), territory)


@dataclass
class Band:
    lower: float
    upper: float | None
    communes: int
    population: int


@dataclass
class Summary:
    population: int  # every commune of the territory
    measured: int  # the population of the communes with a known centre
    communes: int
    unknown_communes: int
    beyond: list[tuple[int, int, float]]  # (km, population, share of measured)
    bands: list[Band]

    @property
    def computed(self) -> bool:
        return self.communes > self.unknown_communes


def summary(territory: Territory | None, dimension: Dimension) -> Summary:
    """Population and communes by distance, in two aggregate queries."""
    whole = communes(territory).aggregate(
        population=Sum("population", default=0), communes=Count("pk")
    )
    population = Sum("population", default=0)
    figures = distances(territory, dimension).aggregate(
        measured=population,
        rows=Count("pk"),
        **{f"beyond_{km}": Sum("population", filter=farther(km), default=0)
           for km in THRESHOLDS},
        **{f"band_{i}": Count("pk", filter=band_condition(*band))
           for i, band in enumerate(BANDS)},
        **{f"band_{i}_population": Sum(
            "population", filter=band_condition(*band), default=0)
           for i, band in enumerate(BANDS)},
    )  # fmt: skip
    measured = figures["measured"]
    return Summary(
        population=whole["population"],
        measured=measured,
        communes=whole["communes"],
        unknown_communes=whole["communes"] - figures["rows"],
        beyond=[
            (km, figures[f"beyond_{km}"], share(figures[f"beyond_{km}"], measured))
            for km in THRESHOLDS
        ],
        bands=[
            Band(*band, figures[f"band_{i}"], figures[f"band_{i}_population"])
            for i, band in enumerate(BANDS)
        ],
    )


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def band_of(metres: float | None) -> int:
    """The index in BANDS of a distance."""
    if metres is None:
        return len(BANDS) - 1
    km = metres / 1000
    for index, (_lower, upper) in enumerate(BANDS):
        if upper is None or km <= upper:
            return index
    return len(BANDS) - 1  # pragma: no cover


def with_nearest(rows: QuerySet) -> QuerySet:
    """Rows with `shown_name` and `shown_slug` of their nearest place while it is
    published: one withdrawn since the computation is not offered (until the
    worker's update comes)."""
    published = Q(nearest__status=Place.Status.PUBLISHED)
    return rows.annotate(
        shown_name=Case(When(published, then=F("nearest__name"))),
        shown_slug=Case(When(published, then=F("nearest__slug"))),
    )


def with_names(rows: QuerySet) -> QuerySet:
    """Rows with what a table shows of their commune and nearest place."""
    return (
        with_nearest(rows)
        .select_related("commune")
        .only(
            "metres",
            "population",
            "commune__name",
            "commune__code",
            "commune__level",
            "commune__departement_code",
        )
    )


def by_distance(territory: Territory | None, dimension: Dimension) -> QuerySet:
    """Every commune with its distance, the farthest first (then the most people)."""
    return with_names(distances(territory, dimension)).order_by(
        F("metres").desc(nulls_first=True),
        F("population").desc(nulls_last=True),
        "commune__code",
    )


def most_people_far(
    territory: Territory | None, dimension: Dimension, limit: int = 20
) -> QuerySet:
    """The communes with the most people farther than REACH_KM from a place."""
    rows = distances(territory, dimension).filter(farther(REACH_KM), population__gt=0)
    return with_names(rows).order_by("-population", "commune__code")[:limit]


def parts(territory: Territory | None, dimension: Dimension) -> list[dict]:
    """The régions of the country, or the départements of a région, each with its
    population farther than REACH_KM (one GROUP BY)."""
    if territory is not None and territory.level != Territory.Level.REGION:
        return []
    level = Territory.Level.DEPARTEMENT if territory else Territory.Level.REGION
    key = "departement_code" if territory else "region_code"
    children = Territory.objects.filter(level=level)
    if territory is not None:
        children = children.filter(parent=territory)
    figures = {
        row[key]: row
        for row in distances(territory, dimension)
        .values(key)
        .annotate(
            measured=Sum("population", default=0),
            far=Sum("population", filter=farther(REACH_KM), default=0),
        )
        .order_by()
    }
    rows = []
    for child in children.order_by("name"):
        row = figures.get(child.code, {"measured": 0, "far": 0})
        rows.append(
            {
                "territory": child,
                "measured": row["measured"],
                "far": row["far"],
                "share": share(row["far"], row["measured"]),
            }
        )
    return sorted(rows, key=lambda row: -row["share"])


@dataclass
class Opening:
    commune: Territory
    gained: int  # people brought within REACH_KM by this one
    total: int  # by this one and the ones before it


def where_to_open(
    territory: Territory, dimension: Dimension, k: int = 5
) -> list[Opening]:
    """The `k` commune centres of the territory where a new place would bring the
    most people (of the territory's communes farther than REACH_KM from any place
    of `dimension`) within REACH_KM, chosen greedily: each the best given the ones
    before it. Straight-line distances; a commune's people are counted at its
    centre. For a région or a département (the whole country would be too much
    for a page)."""
    metres = REACH_KM * 1000
    level = code_field(territory)
    with connection.cursor() as cursor:
        # The communes far from a place first (materialised), then, for each, the
        # commune centres within reach on the centres' index.
        cursor.execute(
            "WITH far AS MATERIALIZED (SELECT t.id, t.centre, d.population "
            f"FROM {Distance._meta.db_table} d JOIN places_territory t "
            "ON t.id = d.commune_id WHERE d.facet = %s AND d.code = %s "
            f"AND d.{level} = %s AND (d.metres > %s OR d.metres IS NULL) "
            "AND d.population > 0) "
            "SELECT candidate.id, far.id, far.population FROM far "
            "JOIN places_territory candidate "
            f"ON {box_around('far.centre', str(metres), 'candidate.centre')} "
            "AND ST_DWithin(candidate.centre::geography, far.centre::geography, %s) "
            f"WHERE candidate.level = 'commune' AND candidate.{level} = %s",
            [*dimension.key, territory.code, metres, metres, territory.code],
        )
        reached: dict[int, set[int]] = defaultdict(set)
        people: dict[int, int] = {}
        for candidate, commune, population in cursor.fetchall():
            reached[candidate].add(commune)
            people[commune] = population
    chosen = greedy(reached, people, min(k, MAX_OPENINGS))
    names = Territory.objects.in_bulk([pk for pk, _gain in chosen])
    total = 0
    openings = []
    for pk, gained in chosen:
        total += gained
        openings.append(Opening(names[pk], gained, total))
    return openings


def greedy(
    reached: dict[int, set[int]], people: dict[int, int], k: int
) -> list[tuple[int, int]]:
    """Up to `k` (candidate, people gained), each the candidate that adds the most
    people not yet reached (ties: the lower id). Lazily: a candidate's gain only
    shrinks as others are chosen, so a stale gain in the heap is an upper bound,
    recomputed only when it comes first."""
    heap = [
        (-sum(people[c] for c in communes_), pk) for pk, communes_ in reached.items()
    ]
    heapq.heapify(heap)
    chosen: list[tuple[int, int]] = []
    covered: set[int] = set()
    while heap and len(chosen) < k:
        _bound, pk = heapq.heappop(heap)
        gain = sum(people[c] for c in reached[pk] - covered)
        if heap and (-gain, pk) > heap[0]:
            heapq.heappush(heap, (-gain, pk))  # another may now be better
            continue
        if gain <= 0:
            break
        chosen.append((pk, gain))
        covered |= reached[pk]
    return chosen
