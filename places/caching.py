"""Results that are costly to compute and change only with the data, cached under
the data's version.

`data_version()` reads a number that the database moves whenever a place, its links,
opening periods, territories or vocabularies change (migration 0007), including
writes made by SQL outside Django (imports, the daily opening refresh). Keys carry
it, so nothing is ever invalidated by hand: a change makes every older entry
unreachable, and the cache drops them with time. Works the same with the
per-process memory cache and with a cache shared by several servers.
"""

import functools
import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from epn_directory.replicas import read_connection

T = TypeVar("T")


def this_minute():
    """For keys of what says "open now": the same result within the minute."""
    return timezone.now().replace(second=0, microsecond=0)


def data_version() -> int:
    """The data's version, read where the data is read (a replica may lag)."""
    with read_connection().cursor() as cursor:
        cursor.execute("SELECT last_value FROM places_data_version")
        return cursor.fetchone()[0]


def cached(namespace: str, key: object, compute: Callable[[], T], version: int) -> T:
    """`compute()`, or its result for the same `key` and data `version`."""
    digest = hashlib.sha1(repr(key).encode()).hexdigest()
    name = f"{namespace}:{version}:{digest}"
    found = cache.get(name)  # a 1-tuple, so that a None result is cached too
    if found is None:
        found = (compute(),)
        cache.set(name, found, settings.SEARCH_CACHE_SECONDS)
    return found[0]


# What a view sets that a cached copy must keep (middleware adds the rest again):
# headers, and the marks that middleware reads (the embeddable map's framing policy).
KEPT_HEADERS = ("Content-Type", "Content-Language", "X-Robots-Tag")
KEPT_MARKS = ("xframe_options_exempt", "_csp_replace", "_csp_update")


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Whole public pages, kept under the data version and the minute (pages say what
    is open now): a page asked for again costs one query, the version.

    Only for visitors without a session or pending messages (a coordinator logged in,
    a confirmation to show), and only plain successful pages that set no cookie, so
    that nothing personal is ever served to someone else."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if (
            not settings.PAGE_CACHE_SECONDS
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "messages" in request.COOKIES
        ):
            return view(request, *args, **kwargs)
        key = (request.build_absolute_uri(), this_minute())
        digest = hashlib.sha1(repr(key).encode()).hexdigest()
        name = f"page:{data_version()}:{digest}"
        found = cache.get(name)
        if found is not None:
            content, headers, marks = found
            response = HttpResponse(content)
            for header, value in headers:
                response[header] = value
            for mark, value in marks.items():
                setattr(response, mark, value)
            return response
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        ):
            headers = [(h, response[h]) for h in KEPT_HEADERS if h in response]
            marks = {
                m: getattr(response, m) for m in KEPT_MARKS if hasattr(response, m)
            }
            cache.set(
                name, (response.content, headers, marks), settings.PAGE_CACHE_SECONDS
            )
        return response

    return wrapper
