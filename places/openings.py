"""Opening periods: each place's OSM hours turned into real date-time ranges for the
coming days (see `OpeningPeriod`), written with COPY so that thousands of places take
a second."""

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from . import hours
from .models import OpeningPeriod, Place, PointX, PointY

WINDOW_DAYS = 15  # refreshed daily: a missed day or two still answers right


def periods(opening_hours: str, lon, lat, start: dt.datetime, days: int = WINDOW_DAYS):
    """(begin, end) of each open interval from `start` for `days` days."""
    try:
        parsed = hours.parse(opening_hours, lon, lat)
    except hours.INVALID:
        return []
    local = start.astimezone(hours.PARIS).replace(tzinfo=None)
    return [
        (begin, end)
        for begin, end, state, _comment in parsed.intervals(
            local, local + dt.timedelta(days=days)
        )
        if state == hours.opening_hours.State.OPEN
    ]


def refresh_openings(
    place_ids: Iterable[int] | None = None, start: dt.datetime | None = None
) -> int:
    """Recompute the periods of `place_ids` (all places when None) from `start`
    (default: yesterday midnight, Paris time), in one transaction: "open now" never
    sees a half-written table. Returns the number of periods."""
    start = start or timezone.localtime().replace(
        hour=0, minute=0, second=0, microsecond=0
    ) - dt.timedelta(days=1)
    places = Place.objects.exclude(opening_hours="").exclude(opening_hours_valid=False)
    stale = OpeningPeriod.objects.all()
    if place_ids is not None:
        place_ids = list(place_ids)
        places = places.filter(pk__in=place_ids)
        stale = stale.filter(place_id__in=place_ids)
    # Read everything first: the connection cannot fetch while a COPY is open.
    rows = list(
        places.annotate(lon=PointX("location"), lat=PointY("location")).values_list(
            "pk", "opening_hours", "lon", "lat"
        )
    )
    count = 0
    with transaction.atomic():
        stale.delete()
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY places_openingperiod (place_id, during) FROM STDIN"
            ) as copy,
        ):
            for pk, opening_hours, lon, lat in rows:
                for begin, end in periods(opening_hours, lon, lat, start):
                    copy.write_row((pk, f"[{begin.isoformat()},{end.isoformat()})"))
                    count += 1
    return count


def refresh_after_save(sender, instance, raw=False, using="default", **kwargs):
    """Every save of a place (the admin's form, an accepted suggestion, a revert from
    the history…) refreshes its opening periods once its transaction commits: "open
    now" is right at once, not after the nightly refresh. Fixtures are left to the
    command that loads them (setup_directory refreshes everything)."""
    if raw:
        return
    pk = instance.pk
    transaction.on_commit(lambda: refresh_openings([pk]), using=using)
