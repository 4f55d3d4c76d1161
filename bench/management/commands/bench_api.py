"""The API on the current data: `manage.py bench_api` (after `seed_places`).

1. A full walk of /api/v1/lieux/ (100 per page, following `next`), cold: each page
   asked once. Every published place must come exactly once.
2. The same walk while places are edited and created meanwhile (a thread writes
   ten changes a second): no place twice, every place published from start to end
   seen once.
3. Warm: the first pages asked again, server time per page.
Requests go through Django's test client in this process (the server's own time),
or, with `--base-url`, over HTTP to a running server (e.g. gunicorn, as production).
"""

import gc
import json
import random
import statistics
import threading
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.report import write_section
from places.models import Place

FIRST = "/api/v1/lieux/?taille=100"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Command(BaseCommand):
    help = "Walk the API's places, cold, while editing, and warm; print the figures."

    def add_arguments(self, parser):
        parser.add_argument("--write", help="Markdown file to write the table into.")
        parser.add_argument("--warm-pages", type=int, default=50)
        parser.add_argument(
            "--base-url",
            help="Walk a running server over HTTP (its API_ANONYMOUS_RATE must allow "
            "it) instead of the test client.",
        )

    def handle(self, *args, write=None, warm_pages=50, base_url=None, **options):
        settings.API_ANONYMOUS_RATE = "1000000/min"  # measuring, not limiting
        client = HttpClient(base_url) if base_url else Client(HTTP_HOST="127.0.0.1")
        client.get(FIRST)
        # As gunicorn's workers do once the application is loaded (gunicorn.conf.py).
        gc.collect()
        gc.freeze()
        published = set(Place.objects.published().values_list("pk", flat=True))
        self.stdout.write(f"{len(published)} published places.")

        seen, times, total = self.walk(client)
        cold = self.verdict("cold walk", seen, published)
        rows = [("full walk, cold", len(times), total, times, cold)]

        stop = threading.Event()
        writer = threading.Thread(target=self.edit, args=(stop,), daemon=True)
        writer.start()
        try:
            seen, times, total = self.walk(client)
        finally:
            stop.set()
            writer.join()
        still = published & set(Place.objects.published().values_list("pk", flat=True))
        editing = self.verdict("walk while editing", seen, still)
        rows.append(
            (
                f"full walk, {self.edits} edits and {self.created} new places "
                "meanwhile",
                len(times),
                total,
                times,
                editing,
            )
        )

        url, warm = FIRST, []
        for _ in range(warm_pages):
            client.get(url)
            started = time.perf_counter()
            body = client.get(url).json()
            warm.append((time.perf_counter() - started) * 1000)
            url = body["next"]
        with CaptureQueriesContext(connection) as queries:
            Client(HTTP_HOST="127.0.0.1").get(FIRST)
        rows.append(
            (
                f"a page of 100, warm ({warm_pages} pages)",
                len(warm),
                sum(warm) / 1000,
                warm,
                "",
            )
        )
        how = (
            f"over HTTP ({base_url})"
            if base_url
            else f"server time (Django test client, one process); {len(queries)} SQL "
            "queries per page of 100"
        )
        table = [
            f"{len(published):,} published places; {how}.",
            "",
            "| what | pages | total | page p50 | page p95 | check |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for what, pages, seconds, per_page, verdict in rows:
            table.append(
                f"| {what} | {pages} | {seconds:.1f} s | "
                f"{statistics.median(per_page):.1f} ms | "
                f"{percentile(per_page, 0.95):.1f} ms | {verdict} |"
            )
        text = "\n".join(table) + "\n"
        self.stdout.write(text)
        if write:
            write_section(Path(write), "api-http" if base_url else "api", text)

    def walk(self, client) -> tuple[list[int], list[float], float]:
        seen, times, url = [], [], FIRST
        started = time.perf_counter()
        while url:
            before = time.perf_counter()
            body = client.get(url).json()
            times.append((time.perf_counter() - before) * 1000)
            seen += [place["id"] for place in body["results"]]
            url = body["next"]
        return seen, times, time.perf_counter() - started

    def verdict(self, name: str, seen: list[int], expected: set[int]) -> str:
        twice = len(seen) - len(set(seen))
        missing = len(expected - set(seen))
        verdict = f"{len(seen):,} places, {twice} twice, {missing} missing"
        self.stdout.write(f"{name}: {verdict}")
        return verdict

    def edit(self, stop: threading.Event) -> None:
        """Ten changes a second: an edit of a random place, and every tenth a new
        place (a copy of a random one), each committed at once."""
        rng = random.Random(7)
        ids = list(Place.objects.published().values_list("pk", flat=True))
        self.edits = self.created = 0
        try:
            while not stop.wait(0.1):
                pk = rng.choice(ids)
                Place.objects.filter(pk=pk).update(
                    phone=f"+3329900{rng.randint(1000, 9999)}",
                    updated_at=timezone.now(),
                )
                self.edits += 1
                if self.edits % 10 == 0:
                    place = Place.objects.get(pk=rng.choice(ids))
                    place.pk = None
                    place.slug = ""
                    place.source_id = f"bench-{time.time_ns()}"
                    place.save()
                    self.created += 1
        finally:
            connections.close_all()


class HttpClient:
    """The little of Django's test client `handle` uses, over HTTP."""

    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def get(self, url: str) -> "HttpClient._Response":
        if url.startswith("/"):
            url = self.base_url + url
        with urllib.request.urlopen(url, timeout=30) as response:
            return self._Response(response.read())

    class _Response:
        def __init__(self, content: bytes):
            self.content = content

        def json(self):
            return json.loads(self.content)
