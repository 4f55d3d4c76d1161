"""The shared cache's connections to Redis, with a circuit breaker.

django-redis already answers "not cached" when Redis fails (IGNORE_EXCEPTIONS), but
each cache call still waits for it: a Redis that accepts connections and never
answers cost every call its timeout, a page a few seconds. After a failure, this
process leaves Redis alone for RETRY_AFTER seconds — every call fails at once, and
pages are computed — and says so once in the log rather than once per call.
"""

import functools
import logging
import threading
import time

from redis.connection import Connection
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
RETRY_AFTER = 30  # seconds

_lock = threading.Lock()
_open_until = 0.0


def trip(error: Exception) -> None:
    global _open_until
    with _lock:
        if time.monotonic() >= _open_until:
            log.warning("Redis fails (%s): not used for %s s.", error, RETRY_AFTER)
        _open_until = time.monotonic() + RETRY_AFTER


def reset() -> None:
    global _open_until
    _open_until = 0.0


def tripping(method):
    """`method`, which trips the breaker when Redis fails."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (ConnectionError, TimeoutError) as error:
            trip(error)
            raise

    return wrapper


class BreakerConnection(Connection):
    """A connection to Redis that fails at once while the breaker is open."""

    def connect(self):
        if time.monotonic() < _open_until:
            raise ConnectionError("Redis is left alone for a while.")
        return tripping(Connection.connect)(self)

    send_packed_command = tripping(Connection.send_packed_command)
    read_response = tripping(Connection.read_response)
