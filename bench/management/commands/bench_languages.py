"""French and English pages side by side (issue 19): server time cold (every cache
cleared before each request) and warm (the same URL again), and SQL queries, through
Django's test client on the local database. Prints a Markdown table."""

import statistics
import time

from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment

from places.models import Place

REPEAT = 7


class Command(BaseCommand):
    help = "French and English pages: server time cold and warm, SQL queries."

    def handle(self, *args, **options):
        setup_test_environment()  # the test client's host, no e-mail sent
        slug = (
            Place.objects.published().order_by("pk").values_list("slug", flat=True)[5]
        )
        paths = ["/", "/lieux/", "/lieux/?q=imprimer+Rennes", f"/lieux/{slug}/",
                 "/carte/", "/territoires/35/", "/lieux/proposer/",
                 "/api/v1/"]  # fmt: skip
        self.stdout.write(
            "| page | fr cold | fr warm | fr queries | en cold | en warm | en queries |"
        )
        self.stdout.write("|---|---|---|---|---|---|---|")
        for path in paths:
            cells = [f"`{path}`"]
            for prefix in ("", "/en"):
                cells += self.measure(Client(), prefix + path)
            self.stdout.write("| " + " | ".join(cells) + " |")

    def measure(self, client, url: str) -> list[str]:
        cold, warm, queries = [], [], []
        for _ in range(REPEAT):
            for cache in caches.all():
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                cold.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries.append(len(captured.captured_queries))
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        return [
            f"{statistics.median(cold):.0f} ms",
            f"{statistics.median(warm):.1f} ms",
            str(max(queries)),
        ]
