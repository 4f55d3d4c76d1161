"""Map data: what one view of the map needs, never every place.

Zoomed out, the places in view are grouped in PostGIS on a grid anchored at 0°,0°
(so that clusters stay put while the map pans) whose cells are about a third of a
256-pixel tile wide; a cell holding one place shows that place. Zoomed in (few
places in view: `settings.MAP_MAX_PLACES`), the places themselves, with compact
properties. The number of features is bounded either way (at most `MAX_CELLS`²
cells), and so is the size of a response, whatever the number of places.
"""

from django.contrib.gis.db.models import Extent
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from epn_directory.replicas import read_connection

from .models import Kind, OpeningPeriod, Place, PointX, PointY

MAX_CELLS = 32  # at most this many grid cells across and down
TILE_FRACTION = 3  # a cell is a third of a 256-pixel tile: about 85 pixels
WORLD = (-180.0, -90.0, 180.0, 90.0)
FRANCE = (-5.5, 41.2, 9.8, 51.2)  # metropolitan France: the default view
DEFAULT_ZOOM = 5


def cell_size(box: tuple[float, float, float, float], zoom: int) -> float:
    """Width of a grid cell in degrees at `zoom`, widened so that the box holds at
    most MAX_CELLS cells each way (a huge box at a high zoom stays small)."""
    west, south, east, north = box
    size = 360 / 2**zoom / TILE_FRACTION
    return max(size, (east - west) / MAX_CELLS, (north - south) / MAX_CELLS)


def bounds(places) -> list[float] | None:
    """[west, south, east, north] of `places` when they fit in metropolitan France
    (a town, a département, a radius…), for the map's first view; else None (the
    default view: a national search also has overseas places)."""
    extent = places.filter(location__isnull=False).aggregate(box=Extent("location"))
    box = extent["box"]
    west, south, east, north = FRANCE
    if (
        box is None
        or box[0] < west
        or box[1] < south
        or box[2] > east
        or box[3] > north
    ):
        return None
    return [round(value, 5) for value in box]


def place_features(places) -> list[dict]:
    """The places as GeoJSON points: name, page, kinds, open now."""
    kinds = dict(Kind.objects.values_list("pk", "code"))
    rows = list(
        places.order_by()
        .annotate(x=PointX("location"), y=PointY("location"))
        .values_list("pk", "name", "slug", "kind_ids", "opening_hours", "x", "y")
    )
    # Open now, for these places only, by their ids (a correlated EXISTS made the
    # planner scan every period open now, 20,000 of them, once per place: 1.3 s).
    open_now = set(
        OpeningPeriod.objects.filter(
            place_id__in=[row[0] for row in rows], during__contains=timezone.now()
        ).values_list("place_id", flat=True)
    )
    listing = reverse("places:list")  # /lieux/, or /en/lieux/ on English pages
    return [
        point(
            x,
            y,
            name=name,
            url=f"{listing}{slug}/",
            kinds=[kinds[pk] for pk in kind_ids if pk in kinds],
            # Unknown hours: neither open nor closed.
            open=pk in open_now if opening_hours else None,
        )
        for pk, name, slug, kind_ids, opening_hours, x, y in rows
    ]


def cluster_features(places, cell: float) -> list[dict]:
    """One feature per grid cell: the number of places, their mean position and
    their bounds (to zoom in on a click); a cell of one place is that place."""
    sql, params = (
        places.order_by()
        .annotate(x=PointX("location"), y=PointY("location"))
        .values("pk", "x", "y")
        .query.sql_with_params()
    )
    connection = read_connection()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Enough memory to group by hashing: with the default, PostgreSQL sorted
        # 100,000 rows on disk (340 ms instead of 160 ms).
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(
            f"SELECT count(*), min(pk), avg(x), avg(y), min(x), min(y), max(x), max(y) "
            f"FROM ({sql}) p GROUP BY floor(x / %s), floor(y / %s)",
            (*params, cell, cell),
        )
        cells = cursor.fetchall()
    singles = [pk for count, pk, *_ in cells if count == 1]
    features = place_features(Place.objects.filter(pk__in=singles)) if singles else []
    features += [
        point(x, y, count=count, bounds=[round(v, 4) for v in bounds])
        for count, _pk, x, y, *bounds in cells
        if count > 1
    ]
    return features


def point(x: float, y: float, **properties) -> dict:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(x, 5), round(y, 5)]},
        "properties": properties,
    }
