"""Imports from the admin, run by the task worker (`manage.py db_worker`) rather than
in the request: a large file takes longer than a web server lets a request live.
Each job is checked (a dry run) and, once its coordinator confirms, imported; its
progress and reports are written on the `ImportJob` as the work goes."""

import datetime as dt
import logging

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from partners.models import Partner
from partners.profile import columns_changed, profile
from places.exchange.importer import import_places
from places.exchange.mapping import Mapping, MappingError
from places.exchange.reader import FileRefused
from places.models import Territory

from .models import ImportJob
from .roles import communes_of_territory, scoped

log = logging.getLogger(__name__)
State = ImportJob.State
# A checked file not confirmed within this time is dropped; reports are kept this
# long after the job.
UNCONFIRMED_DAYS = 2
KEPT_DAYS = 60
# A job with no news for this long was left by a worker that stopped (its import,
# one transaction, changed nothing).
STALLED = dt.timedelta(minutes=30)
STALLED_MESSAGE = _("interrompu : le traitement s’est arrêté avant la fin")


def communes_of(user) -> set[int] | None:
    """The ids of the communes a user may import into (None: all of them)."""
    communes = Territory.objects.filter(level__in=["commune", "arrondissement"])
    narrowed = scoped(communes, user, "")
    if narrowed is communes:
        return None
    return set(narrowed.values_list("pk", flat=True))


def partner_communes(partner, communes: set[int] | None) -> set[int]:
    """The communes an import of a partner's file may write: its territory's, and
    among them the coordinator's (`communes`, None for all)."""
    own = set(communes_of_territory(partner.territory).values_list("pk", flat=True))
    return own if communes is None else own & communes


@task()
def check_import(job_id: int) -> None:
    run(job_id, dry_run=True)


@task()
def apply_import(job_id: int) -> None:
    run(job_id, dry_run=False)


def run(job_id: int, dry_run: bool) -> None:
    job = ImportJob.objects.select_related("user", "partner__territory").get(pk=job_id)
    if job.state != (State.CHECKING if dry_run else State.IMPORTING):
        return  # cancelled meanwhile, or already done

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=done, rows_total=total, updated_at=timezone.now()
        )

    try:
        # The coordinator's scope when the work is done, not when it was asked.
        communes = communes_of(job.user)
        mapping = Mapping.checked(job.mapping) if job.mapping else None
        if job.partner is not None:
            communes = partner_communes(job.partner, communes)
        content = bytes(job.content)
        report = import_places(
            job.file_name,
            content=content,
            source_name=job.source or None,
            dry_run=dry_run,
            communes=communes,
            user=job.user,
            on_progress=progress,
            mapping=mapping,
            # A partner's own places missing from its file, in the scope only.
            close_missing=bool(job.partner and job.partner.close_missing),
        ).as_dict()
        if job.partner is not None:
            columns = profile(content, mapping).names
            report["columns_changed"] = columns_changed(job.partner.columns, columns)
            if not dry_run:
                Partner.objects.filter(pk=job.partner.pk).update(columns=columns)
        if dry_run:
            job.check_report = report
        else:
            job.report = report
        finish(job, State.CHECKED if dry_run else State.DONE)
    except (FileRefused, MappingError) as refusal:
        finish(job, State.REFUSED, message=str(refusal))
    except Exception:
        log.exception("Import job %s failed", job.pk)
        # Whatever failed, the job says so (the import itself rolled back).
        ImportJob.objects.filter(pk=job.pk).update(
            state=State.FAILED, content=b"", updated_at=timezone.now()
        )
        raise  # the worker records the task as failed too


def finish(job: ImportJob, state: str, message: str = "") -> None:
    job.state, job.message = state, message
    if state != State.CHECKED:
        job.content = b""  # nothing more to do with the file
    # Not the progress, written meanwhile by `progress`.
    job.save(
        update_fields=[
            "state", "message", "content", "check_report", "report", "updated_at"
        ]
    )  # fmt: skip


def forget_old_jobs() -> None:
    """Say which jobs a stopped worker left running, drop files left unconfirmed,
    and jobs older than KEPT_DAYS."""
    now = timezone.now()
    ImportJob.objects.filter(
        state__in=ImportJob.RUNNING, updated_at__lt=now - STALLED
    ).update(state=State.FAILED, message=STALLED_MESSAGE, content=b"")
    ImportJob.objects.filter(
        state=State.CHECKED, updated_at__lt=now - dt.timedelta(days=UNCONFIRMED_DAYS)
    ).update(state=State.CANCELLED, content=b"")
    ImportJob.objects.filter(
        Q(created_at__lt=now - dt.timedelta(days=KEPT_DAYS))
        & ~Q(state__in=ImportJob.RUNNING)
    ).delete()
