"""Server time of the coordinators' admin pages on this database (issue 14's goal:
change list, search and change form ≤ 300 ms at 100,000 places, the change form in
≤ 15 queries): `manage.py bench_admin --repeat 10 [--write docs/benchmarks.md]`.

Through Django's test client in this process, logged in as a national coordinator
(a superuser made for the run, then deleted); each page asked once first (cold),
then `repeat` times. The process is first warmed up as each gunicorn worker is
(epn_directory/warmup.py): without it, its full garbage collections walked every
loaded object, 80–100 ms, and made the slowest twentieth of admin pages."""

import statistics
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

from bench.report import write_section
from epn_directory.warmup import warm_up
from places.models import Place


class Command(BaseCommand):
    help = "Server time and queries of the admin's pages."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=10)
        parser.add_argument("--write", help="Markdown file to update (docs/…)")

    def handle(self, *args, repeat, write=None, **options):
        setup_test_environment()
        warm_up()
        published = Place.objects.published().order_by("pk")
        place = published[published.count() // 2]
        pages = [
            ("change list", "/admin/places/place/"),
            ("search « mediatheque »", "/admin/places/place/?q=mediatheque"),
            ("search « rennes »", "/admin/places/place/?q=rennes"),
            ("filter: département 35, no hours", "/admin/places/place/"
             "?departement=35&manque=hours"),
            ("change form", f"/admin/places/place/{place.pk}/change/"),
            ("dashboard", "/admin/"),
        ]  # fmt: skip
        user = get_user_model().objects.create_superuser(
            "bench-admin", "bench@example.org", None
        )
        try:
            client = Client()
            client.force_login(user)
            rows = [self.measure(client, label, url, repeat) for label, url in pages]
        finally:
            user.delete()
        lines = [
            f"`manage.py bench_admin --repeat {repeat}` at "
            f"{Place.objects.count():,} places: server time through Django's test "
            "client, logged in as a national coordinator.",
            "",
            "| page | first (cold) | p50 | p95 | queries |",
            "|---|---|---|---|---|",
            *rows,
        ]
        text = "\n".join(lines)
        self.stdout.write(text)
        if write:
            write_section(Path(write), "admin", text)

    @staticmethod
    def measure(client: Client, label: str, url: str, repeat: int) -> str:
        times = []
        for n in range(repeat + 1):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            if n == 0:
                first, count = times.pop(), len(queries)
        cuts = statistics.quantiles(times, n=20) if len(times) > 1 else times * 19
        return (
            f"| {label} | {first:.0f} ms | {statistics.median(times):.0f} ms "
            f"| {cuts[18]:.0f} ms | {count} |"
        )
