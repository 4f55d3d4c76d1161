"""Server time of the public pages on the current data: `manage.py bench_pages`.

Requests go through Django's test client in this process (no network, no browser):
the figure is the server's own time, view + queries + template. Run it after
`seed_places --count 100000`; it prints a Markdown table for docs/benchmarks.md.
"""

import os
import platform
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from places.models import Place

PAGES = [
    ("listing, no filter", "/lieux/"),
    ("text query", "/lieux/?q=mediatheque"),
    ("typo", "/lieux/?q=mediatek"),
    ("a commune", "/lieux/?ou=Rennes"),
    ("a département", "/lieux/?ou=Finistère"),
    ("a postal code", "/lieux/?ou=42000"),
    ("around a point", "/lieux/?lat=48.1119&lon=-1.6819"),
    (
        "three facets",
        "/lieux/?type=epn&service=aide-aux-demarches-administratives&frais=gratuit",
    ),
    ("open now", "/lieux/?ouvert=1"),
    ("place page", "PLACE"),
    ("territory: département", "/territoires/35/"),
]


class Command(BaseCommand):
    help = "Measure p50/p95 server time and SQL queries of the public pages."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30)

    def handle(self, *args, repeat, **options):
        settings.ALLOWED_HOSTS = ["*"]
        client = Client()
        place = Place.objects.published().order_by("pk").first()
        total = Place.objects.published().count()
        machine = platform.processor() or platform.machine()
        self.stdout.write(
            f"{total} published places · {machine}, {os.cpu_count()} cores · "
            f"Python {platform.python_version()} · {repeat} requests per page\n"
        )
        self.stdout.write("| page | URL | p50 | p95 | SQL queries |")
        self.stdout.write("|---|---|---|---|---|")
        for label, url in PAGES:
            url = place.get_absolute_url() if url == "PLACE" else url
            client.get(url)  # warm-up: templates, connections
            timings = []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            timings.sort()
            p95 = timings[min(len(timings) - 1, int(round(0.95 * len(timings))) - 1)]
            self.stdout.write(
                f"| {label} | `{url}` | {statistics.median(timings):.0f} ms "
                f"| {p95:.0f} ms | {len(queries.captured_queries)} |"
            )
