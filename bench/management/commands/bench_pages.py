"""Server time of the public pages on the current data: `manage.py bench_pages`.

Requests go through Django's test client in this process (no network, no browser):
the figure is the server's own time, view + queries + template. Run it after
`seed_places --count 100000`; it prints a Markdown table for docs/benchmarks.md.

Searches are cached under the data's version (places/caching.py), so each page is
measured twice: "cold", the cache emptied before every request (a search asked for
the first time since the data last changed), and "warm", the same search asked again.
"""

import gzip
import json
import os
import platform
import statistics
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.report import write_section
from places.models import Place

PAGES = [
    ("home", "/"),
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
    # What citizens type (issue 13): needs, towns in the "what" box, misspellings.
    ("a need", "/lieux/?q=smartphone"),
    ("a need and a town, typed together", "/lieux/?q=smartphone+Rennes"),
    ("a sentence", "/lieux/?q=aide+pour+ma+d%C3%A9claration+de+revenus"),
    ("a misspelt town", "/lieux/?ou=Bordo"),
    ("a town and a radius", "/lieux/?ou=Rennes&rayon=10"),
    ("a need in a town", "/lieux/?q=imprimer&ou=Lyon"),
    ("place page", "PLACE"),
    ("territory: département", "/territoires/35/"),
    ("map page", "/carte/"),
    ("map data, national view", "/carte/lieux.geojson?bbox=-5.5,41.2,9.8,51.2&zoom=6"),
    ("map data, whole world", "/carte/lieux.geojson?zoom=2"),
    ("map data, a city", "/carte/lieux.geojson?bbox=-1.75,48.08,-1.62,48.14&zoom=13"),
    (
        "map data, street zoom",
        "/carte/lieux.geojson?bbox=-1.688,48.108,-1.676,48.114&zoom=16",
    ),
    ("map list, places in view", "/carte/liste/?bbox=-1.75,48.08,-1.62,48.14"),
    ("export CSV, a département", "/export/lieux.csv?ou=35"),
    ("export JSON, a département", "/export/lieux.json?ou=35"),
    ("export GeoJSON, a département", "/export/lieux.geojson?ou=35"),
]
# Every published place, once each (minutes at 100,000 places: not repeated).
FULL_EXPORTS = ["/export/lieux.csv", "/export/lieux.json", "/export/lieux.geojson"]


class Command(BaseCommand):
    help = "Measure p50/p95 server time and SQL queries of the public pages."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--write", help="Markdown file to update (docs/…)")

    def handle(self, *args, repeat, write=None, **options):
        settings.ALLOWED_HOSTS = ["*"]
        client = Client()
        place = Place.objects.published().order_by("pk").first()
        total = Place.objects.published().count()
        machine = platform.processor() or platform.machine()
        lines = [
            f"{total} published places · {machine}, {os.cpu_count()} cores · "
            f"Python {platform.python_version()} · {repeat} requests per page",
            "",
            "| page | URL | cold p50 | cold p95 | warm p50 | warm p95 "
            "| SQL queries cold / warm | size (gzip) |",
            "|---|---|---|---|---|---|---|---|",
        ]
        self.stdout.write("\n".join(lines))
        for label, url in PAGES:
            url = place.get_absolute_url() if url == "PLACE" else url
            fetch(client, url)  # warm-up: templates, connections
            figures, queries = [], []
            # Exports stream whole départements: fewer requests are enough.
            count = min(repeat, 5) if url.startswith("/export/") else repeat
            for cold in (True, False):
                timings = []
                for _ in range(count):
                    if cold:
                        for each in caches.all():
                            each.clear()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response, body = fetch(client, url)
                        timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
                figures += [f"{statistics.median(timings):.0f} ms", f"{p95:.0f} ms"]
                queries.append(str(len(captured.captured_queries)))
            lines.append(
                f"| {label} | `{url}` | {' | '.join(figures)} | {' / '.join(queries)} "
                f"| {size(response, body)} |"
            )
            self.stdout.write(lines[-1])
        lines += [
            "",
            "| full export | rows | time | rows/s | size |",
            "|---|---|---|---|---|",
        ]
        for url in FULL_EXPORTS:
            started = time.perf_counter()
            response, body = fetch(client, url)
            seconds = time.perf_counter() - started
            lines.append(
                f"| `{url}` | {total} | {seconds:.1f} s | {total / seconds:,.0f} "
                f"| {len(body) / 1e6:.1f} MB |"
            )
            self.stdout.write(lines[-1])
        lines.append(
            "\nEvery published place as one GeoJSON file (name, page, kinds, point: "
            f"what a map that filters in the browser must load): {every_place()}"
        )
        self.stdout.write(lines[-1])
        if write:
            write_section(Path(write), "pages", "\n".join(lines))
            self.stdout.write(f"Written to {write}.")


def fetch(client, url):
    """The response and its whole body (streamed exports included)."""
    response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200, (url, response.status_code)
    if response.streaming:
        return response, b"".join(response.streaming_content)
    return response, response.content


def size(response, body: bytes) -> str:
    """Uncompressed size, and the compressed size when the page is compressed."""
    if response.get("Content-Encoding") == "gzip":
        return f"{len(gzip.decompress(body)) / 1000:.0f} KB ({len(body) / 1000:.1f} KB)"
    return f"{len(body) / 1000:.0f} KB (—)"


def every_place() -> str:
    rows = (
        Place.objects.published()
        .filter(location__isnull=False)
        .values_list("name", "slug", "kind_ids", "location")
    )
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(point.x, 6), round(point.y, 6)],
                },
                "properties": {"name": name, "url": f"/lieux/{slug}/", "kinds": kinds},
            }
            for name, slug, kinds, point in rows
        ],
    }
    body = json.dumps(collection, ensure_ascii=False).encode()
    return (
        f"{len(rows)} places, {len(body) / 1e6:.1f} MB, "
        f"{len(gzip.compress(body)) / 1e6:.1f} MB gzip"
    )
