"""Answers for machines and operators: robots.txt and the health check."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from coordination.tasks import STALLED
from epn_directory.replicas import database_error


@require_safe
def robots(request: HttpRequest) -> HttpResponse:
    """Crawlers: the pages of places and territories (listed in the sitemap), not the
    admin, the data endpoints or the endless combinations of filters."""
    sitemap = request.build_absolute_uri(reverse("service:sitemap-index"))
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /export/",
        "Disallow: /carte/lieux.geojson",
        "Disallow: /carte/liste/",
        "Disallow: /lieux/?",
        "Disallow: /carte/?",
        "Disallow: /lieux/*/signaler/",
        "Disallow: /lieux/proposer/",
        # The same in English.
        "Disallow: /en/export/",
        "Disallow: /en/carte/lieux.geojson",
        "Disallow: /en/carte/liste/",
        "Disallow: /en/lieux/?",
        "Disallow: /en/carte/?",
        "Disallow: /en/lieux/*/signaler/",
        "Disallow: /en/lieux/proposer/",
        "Disallow: /api/v1/lieux/",  # the API's data (its documentation, /api/v1/,
        "Disallow: /api/v1/territoires/",  # stays open to crawlers)
        f"Sitemap: {sitemap}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and operators: 200 while the primary database answers
    (the site serves, perhaps slower: "degraded" when a replica or the cache is
    down), 503 when it does not; each part's state in `checks`."""
    checks = {
        alias: database_state(alias)
        for alias in ["default", *settings.DATABASE_READ_REPLICAS]
    }
    checks["cache"] = cache_state()
    checks["tasks"] = tasks_state() if checks["default"] == "ok" else "unknown"
    up = checks["default"] == "ok"
    state = "ok" if set(checks.values()) == {"ok"} else "degraded" if up else "down"
    return JsonResponse({"status": state, "checks": checks}, status=200 if up else 503)


def database_state(alias: str) -> str:
    error = database_error(alias)
    return f"error: {type(error).__name__}" if error else "ok"


TASKS_LATE = dt.timedelta(minutes=2)


def tasks_state() -> str:
    """Whether the task worker keeps up: no task waiting for longer than
    TASKS_LATE, none running for longer than STALLED (a worker stopped in the
    middle). docs/deploy.md, "The task worker"."""
    now = timezone.now()
    tasks = DBTaskResult.objects.aggregate(
        late=Count("pk", filter=Q(status=TaskResultStatus.READY,
                                  enqueued_at__lt=now - TASKS_LATE)),
        stalled=Count("pk", filter=Q(status=TaskResultStatus.RUNNING,
                                     started_at__lt=now - STALLED)),
    )  # fmt: skip
    problems = []
    if tasks["late"]:
        problems.append(f"{tasks['late']} waiting for more than 2 minutes")
    if tasks["stalled"]:
        problems.append(f"{tasks['stalled']} running for more than 30 minutes")
    return "error: " + "; ".join(problems) if problems else "ok"


def cache_state() -> str:
    """Whether the shared cache keeps what it is given (a cache that is down
    answers "not cached" to everything, without an error)."""
    key, token = "healthz", uuid.uuid4().hex
    cache.set(key, token, 10)
    return "ok" if cache.get(key) == token else "error: unreachable"
