"""Coverage is recomputed by the task worker (`manage.py db_worker`), never while a
citizen waits: after an edit, the changed places only; after an import, all."""

import logging

from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from . import compute

log = logging.getLogger(__name__)
MANY = 30


@task()
def refresh_coverage() -> None:
    compute.refresh_all()


@task()
def update_coverage(place_ids: list[int]) -> None:
    compute.refresh_places(place_ids)


def refresh_later(place_ids: list[int] | None = None, **kwargs) -> None:
    """Receiver of `places_changed` (sent after the commit): queue the work. A
    complete refresh already waiting covers any further change. A failure to queue
    is logged, not raised: the change itself is saved, and the nightly refresh
    (`manage.py refresh_coverage`) catches up. Beyond MANY places, a complete
    refresh costs less than the updates (each place is measured against the
    communes around it)."""
    try:
        with transaction.atomic():  # a savepoint, should a caller's be open
            waiting = DBTaskResult.objects.ready().filter(
                task_path=refresh_coverage.module_path
            )
            if waiting.exists():
                return
            if place_ids is None or len(place_ids) > MANY:
                refresh_coverage.enqueue()
            else:
                update_coverage.enqueue(sorted(place_ids))
    except Exception:
        log.exception("Coverage refresh not queued")
