"""Two caches, both for visitors without a session (coordinators, logged in, always
read the database):

- whole pages (`page_cache`), under a key the view derives from the request as it
  understood it (the cleaned search, a place's slug), never from the raw query
  string: parameters nobody asked for create no entry. A page is fresh for
  PAGE_FRESH_SECONDS (30 s; the CDN in front already accepts 60 s); after that, the
  first request recomputes it while the others are still served the stale copy, so
  a burst of visitors never waits on one slow search. A place's own page is dropped
  as soon as that place is saved (`forget_place_pages`), so it stays fresh until
  the place next opens or closes: an edit shows on it at once, and in listings,
  maps and territory pages within PAGE_FRESH_SECONDS + 2 × COUNT_CACHE_SECONDS
  (a visitor's page of results may be read among ids as old as the counts).
- counts (`counted`): a search's total and facet counts, shared by every page and
  sort order of it, the ids its words, place or hours find, shared by every facet
  asked with them, and the map's counts and bounds, for COUNT_CACHE_SECONDS.

Nothing is keyed on a global version of the data: a write retires only the edited
place's page, never every page and count at once (docs/decisions.md, issue 14).
"""

import hashlib
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

T = TypeVar("T")
# How long the request that renews a stale page may take before another may try.
RENEWING_SECONDS = 30


def anonymous(request: HttpRequest) -> bool:
    """A visitor without a session or pending messages: nothing personal to show."""
    return (
        settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
    )


def entry_name(namespace: str, key: object, language: str | None = None) -> str:
    digest = hashlib.sha1(repr(key).encode()).hexdigest()
    return f"{namespace}:{language or get_language()}:{digest}"


def counts_may_be_old(request: HttpRequest) -> bool:
    """Whether the counts shown to this visitor may be up to COUNT_CACHE_SECONDS
    old: not to coordinators."""
    return bool(settings.COUNT_CACHE_SECONDS) and anonymous(request)


def counted(
    request: HttpRequest, name: str, key: object, compute: Callable[[], T]
) -> T:
    """`compute()` (counts, bounds), or what it gave for the same `key` less than
    COUNT_CACHE_SECONDS ago. Exact for coordinators, and when `key` is None."""
    seconds = settings.COUNT_CACHE_SECONDS
    if key is None or not counts_may_be_old(request):
        return compute()
    entry = entry_name(f"count:{name}", key)
    found = cache.get(entry)  # (when, value): a None value is kept too
    if found is None or time.time() - found[0] >= seconds:
        found = (time.time(), compute())
        cache.set(entry, found, seconds)
    return found[1]


def page_cache(key: Callable[..., tuple | None]):
    """Keep the view's whole response for anonymous visitors, under `key(request,
    *args, **kwargs)` (None: a page not to keep, e.g. a refused parameter), fresh
    for PAGE_FRESH_SECONDS or what the view set in `request.page_fresh_seconds`.

    Only plain successful pages that set no cookie are kept, and only when the
    request had no parameter the view does not know (`request.unknown_parameters`,
    set by the key function), nothing the key function says not to keep
    (`request.keep_page_if()`: parameters refused) nor a stopgap answer
    (`request.search_transient`: an address searched in its commune because the
    geocoder did not answer)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not settings.PAGE_CACHE_SECONDS or not anonymous(request):
                return view(request, *args, **kwargs)
            found = key(request, *args, **kwargs)
            if found is None:
                return view(request, *args, **kwargs)
            # Pages hold absolute addresses (canonical, hreflang, JSON-LD).
            name = entry_name(
                f"page:{view.__name__}", (request.scheme, request.get_host(), found)
            )
            stored = cache.get(name)
            if stored is not None:
                fresh_until, response = stored
                # Stale: one request renews it, the others get it meanwhile.
                if time.time() < fresh_until or not cache.add(
                    f"{name}:renewing", 1, RENEWING_SECONDS
                ):
                    return response
            try:
                response = view(request, *args, **kwargs)
                if (
                    response.status_code == 200
                    and not response.streaming
                    and not response.cookies
                    and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
                    and not getattr(request, "search_transient", False)
                    and not getattr(request, "unknown_parameters", False)
                    and getattr(request, "keep_page_if", lambda: True)()
                ):
                    # The response itself, as Django's cache_page keeps it: headers
                    # and the marks middleware reads (the embed's framing) with it.
                    fresh = getattr(
                        request, "page_fresh_seconds", settings.PAGE_FRESH_SECONDS
                    )
                    cache.set(
                        name,
                        (time.time() + fresh, response),
                        settings.PAGE_CACHE_SECONDS,
                    )
            finally:
                if stored is not None:
                    cache.delete(f"{name}:renewing")
            return response

        return wrapper

    return decorator


def place_generation(slug: str) -> str:
    """A token that keys a place's page: replaced when the place changes, so that
    its page is found under a new key whatever language, host or address it was
    asked in."""
    return cache.get_or_set(f"place-generation:{slug}", lambda: uuid.uuid4().hex, None)


def forget_place_pages(slugs: list[str]) -> None:
    """Retire the cached pages of these places: an edit shows on the place's page
    at once (the old entries expire with time)."""
    cache.delete_many([f"place-generation:{slug}" for slug in slugs])
