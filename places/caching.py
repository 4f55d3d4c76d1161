"""Results that are costly to compute and change only with the data, cached under
the data's version.

`data_version()` reads a number that the database moves whenever a place, its links,
opening periods, territories or vocabularies change (migration 0007), including
writes made by SQL outside Django (imports, the daily opening refresh). Keys carry
it, so nothing is ever invalidated by hand: a change makes every older entry
unreachable, and the cache drops them with time. Works the same with the
per-process memory cache and with a cache shared by several servers.
"""

import bisect
import datetime as dt
import functools
import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import get_language

from epn_directory.replicas import read_alias, read_connection

from .understanding import thesaurus

T = TypeVar("T")


def open_now_slot(version: int | None = None) -> dt.datetime:
    """The slot of time that "open now" answers belong to: since the latest instant
    at which any place opened or closed, or since midnight (when "opens tomorrow"
    becomes "opens today"). Within a slot every such answer, and every page showing
    one, stays the same: it keys them instead of the minute, and lasts far longer."""
    now = timezone.now()
    midnight = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if version is None:
        version = data_version()
    bounds = _transitions(version, midnight)
    index = bisect.bisect_right(bounds, now)
    return max(bounds[index - 1], midnight) if index else midnight


@functools.lru_cache(maxsize=8)
def _transitions(version: int, midnight: dt.datetime) -> list[dt.datetime]:
    """Every instant of the day at which a place opens or closes (from the opening
    periods): once per data version and day, shared by the processes."""

    def compute() -> list[dt.datetime]:
        end = midnight + dt.timedelta(days=1)
        with read_connection().cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT b FROM (SELECT unnest(ARRAY[lower(during),"
                " upper(during)]) b FROM places_openingperiod"
                " WHERE during && tstzrange(%s, %s)) t"
                " WHERE b >= %s AND b < %s ORDER BY b",
                (midnight, end, midnight, end),
            )
            return [row[0] for row in cursor.fetchall()]

    return cached("open-transitions", midnight.isoformat(), compute, version)


def data_version() -> int:
    """The data's version, read where the data is read (a replica may lag)."""
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT last_value FROM places_data_version")
        return cursor.fetchone()[0]


# The version each database alias had when this process last read it.
_recent: dict[str, tuple[float, int]] = {}


def recent_data_version(max_age: float) -> int:
    """The data version as this process read it at most `max_age` seconds ago: no
    round trip to the database for most requests. Only for whole pages served to
    visitors without a session, who may see a page up to `max_age` older than the
    latest change (a CDN keeps them for a minute anyway)."""
    if max_age <= 0:
        return data_version()
    alias, now = read_alias(), time.monotonic()
    seen = _recent.get(alias)
    if seen is not None and now - seen[0] < max_age:
        return seen[1]
    version = data_version()
    _recent[alias] = (now, version)
    return version


def cached(namespace: str, key: object, compute: Callable[[], T], version: int) -> T:
    """`compute()`, or its result for the same `key`, data `version` and language
    (results may hold labels or HTML in the page's language)."""
    digest = hashlib.sha1(repr(key).encode()).hexdigest()
    name = f"{namespace}:{get_language()}:{version}:{digest}"
    found = cache.get(name)  # a 1-tuple, so that a None result is cached too
    if found is None:
        found = (compute(),)
        cache.set(name, found, settings.SEARCH_CACHE_SECONDS)
    return found[0]


# Pages asked for often are also kept in each process's memory, in front of the
# shared cache (Redis): exact too, since keys carry the data version.
local = caches["local"]


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Whole public pages, kept under the data version and the open-now slot (pages
    say what is open now): a page asked for again costs a cache read, and the
    version is read from the database at most every PAGE_VERSION_SECONDS.

    Only for visitors without a session or pending messages (a coordinator logged in,
    a confirmation to show), and only plain successful pages that set no cookie, so
    that nothing personal is ever served to someone else. A search marks the request
    `search_transient` when its answer is a stopgap (an address searched in its
    commune because the geocoder did not answer)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            not settings.PAGE_CACHE_SECONDS
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "messages" in request.COOKIES
        ):
            return view(request, *args, **kwargs)
        version = recent_data_version(settings.PAGE_VERSION_SECONDS)
        # The thesaurus reads `q` (places/understanding.py): a new one, new pages.
        key = (
            request.build_absolute_uri(),
            open_now_slot(version),
            thesaurus().version,
        )
        digest = hashlib.sha1(repr(key).encode()).hexdigest()
        name = f"page:{version}:{digest}"
        # The response itself is kept, as Django's own cache_page does: headers and
        # the marks middleware reads (the embed view's framing policy) come with it.
        response = local.get(name)
        if response is None:
            response = cache.get(name)
            if response is not None:
                local.set(name, response, settings.PAGE_CACHE_SECONDS)
        if response is not None:
            return response
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
            and not getattr(request, "search_transient", False)
        ):
            cache.set(name, response, settings.PAGE_CACHE_SECONDS)
            local.set(name, response, settings.PAGE_CACHE_SECONDS)
        return response

    return wrapper
