"""Reads of the directory's data sent to PostgreSQL replicas (DATABASE_REPLICA_URLS).

Only the public pages read from a replica: a GET or HEAD outside the admin picks one
replica for the whole request (so the data version and the data it keys come from the
same server), and only the `places` app's tables are read there. Everything else stays
on the primary ("default"): writes, the admin, citizens' forms, sessions and accounts,
management commands (an import must compare with the primary's data) and any code
outside a request. Without replicas, every read goes to the primary.

A replica that fails (down, unreachable, or not the right database) is left alone for
`RETRY_AFTER` seconds: the request it failed is answered again from the primary, and
the next ones read from the others or the primary. /healthz says which is down.
"""

import logging
import random
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)
RETRY_AFTER = 30  # seconds
# When each replica that failed in this process may be tried again.
_down_until: dict[str, float] = {}

# The replica the current request reads from; None: the primary.
_read_alias: ContextVar[str | None] = ContextVar("read_alias", default=None)
SAFE_METHODS = {"GET", "HEAD"}
REPLICATED_APPS = {"places"}


def read_alias() -> str:
    """The database alias for reading the directory's data now."""
    return _read_alias.get() or "default"


def read_connection():
    """The connection for raw SQL that reads the directory's data."""
    return connections[read_alias()]


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label in REPLICATED_APPS:
            return _read_alias.get()  # None lets Django use "default"
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every alias holds the same data

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # replicas receive the schema by replication


def usable_replicas() -> list[str]:
    now = time.monotonic()
    return [
        alias
        for alias in settings.DATABASE_READ_REPLICAS
        if _down_until.get(alias, 0) <= now
    ]


def leave_alone(alias: str, error: Exception) -> None:
    log.warning("Replica %s failed (%s); reads go elsewhere for %s s.", alias, error,
                RETRY_AFTER)  # fmt: skip
    _down_until[alias] = time.monotonic() + RETRY_AFTER
    connections[alias].close()


def replica_failed(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """A request reading from a replica failed on a database error: that replica is
    left alone for a while, and the request is answered again from the primary."""
    error = sys.exc_info()[1]
    alias = _read_alias.get()
    if alias is None or not isinstance(error, DatabaseError):
        return
    leave_alone(alias, error)
    if request is not None:
        request.replica_failed = alias


def database_error(alias: str) -> DatabaseError | None:
    """What stops `alias` from answering a read of the directory now, if anything
    (a server down, or a database without our tables)."""
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1 FROM places_place LIMIT 1")
    except DatabaseError as error:
        connections[alias].close()
        return error
    return None


def checked_read_alias() -> str:
    """The alias to stream a response from: the request's replica if it answers now,
    else the primary. A streamed response cannot be answered again from the primary
    once it has begun: its errors would cut the body of a "200 OK"."""
    alias = read_alias()
    if alias != "default" and (error := database_error(alias)):
        leave_alone(alias, error)
        return "default"
    return alias


got_request_exception.connect(replica_failed)


def replica_reads(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware: public GET and HEAD requests read from one replica, when any."""

    def middleware(request: HttpRequest) -> HttpResponse:
        replicas = usable_replicas()
        if (
            not replicas
            or request.method not in SAFE_METHODS
            or request.path.startswith("/admin/")
        ):
            return get_response(request)
        token = _read_alias.set(random.choice(replicas))
        try:
            response = get_response(request)
        finally:
            _read_alias.reset(token)
        if getattr(request, "replica_failed", None):
            return get_response(request)  # a GET again, from the primary
        return response

    return middleware
