"""Results that are costly to compute and change only with the data, cached under
the data's version.

`data_version()` reads a number that the database moves whenever a place, its links,
opening periods, territories or vocabularies change (migration 0007), including
writes made by SQL outside Django (imports, the daily opening refresh). Keys carry
it, so nothing is ever invalidated by hand: a change makes every older entry
unreachable, and the cache drops them with time. Works the same with the
per-process memory cache and with a cache shared by several servers.
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
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
