"""Reads of the directory's data sent to PostgreSQL replicas (DATABASE_REPLICA_URLS).

Only the public pages read from a replica: a GET or HEAD outside the admin picks one
replica for the whole request (so the data version and the data it keys come from the
same server), and only the `places` app's tables are read there. Everything else stays
on the primary ("default"): writes, the admin, citizens' forms, sessions and accounts,
management commands (an import must compare with the primary's data) and any code
outside a request. Without replicas, every read goes to the primary.
"""

import random
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

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


def replica_reads(get_response: Callable[[HttpRequest], HttpResponse]):
    """Middleware: public GET and HEAD requests read from one replica, when any."""

    def middleware(request: HttpRequest) -> HttpResponse:
        replicas = settings.DATABASE_READ_REPLICAS
        if (
            not replicas
            or request.method not in SAFE_METHODS
            or request.path.startswith("/admin/")
        ):
            return get_response(request)
        token = _read_alias.set(random.choice(replicas))
        try:
            return get_response(request)
        finally:
            _read_alias.reset(token)

    return middleware
