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

from django.conf import settings
from django.core.cache import cache
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
    ("map page", "/carte/"),
    ("map data, national view", "/carte/lieux.geojson?bbox=-5.5,41.2,9.8,51.2&zoom=6"),
    ("map data, whole world", "/carte/lieux.geojson?zoom=2"),
    ("map data, a city", "/carte/lieux.geojson?bbox=-1.75,48.08,-1.62,48.14&zoom=13"),
    (
        "map data, street zoom",
        "/carte/lieux.geojson?bbox=-1.688,48.108,-1.676,48.114&zoom=16",
    ),
    ("map list, places in view", "/carte/liste/?bbox=-1.75,48.08,-1.62,48.14"),
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
        self.stdout.write(
            "| page | URL | cold p50 | cold p95 | warm p50 | warm p95 "
            "| SQL queries cold / warm | size (gzip) |"
        )
        self.stdout.write("|---|---|---|---|---|---|---|---|")
        for label, url in PAGES:
            url = place.get_absolute_url() if url == "PLACE" else url
            client.get(url)  # warm-up: templates, connections
            figures, queries = [], []
            for cold in (True, False):
                timings = []
                for _ in range(repeat):
                    if cold:
                        cache.clear()
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response = client.get(url, HTTP_ACCEPT_ENCODING="gzip")
                        timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (url, response.status_code)
                timings.sort()
                p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
                figures += [f"{statistics.median(timings):.0f} ms", f"{p95:.0f} ms"]
                queries.append(str(len(captured.captured_queries)))
            self.stdout.write(
                f"| {label} | `{url}` | {' | '.join(figures)} | {' / '.join(queries)} "
                f"| {size(response)} |"
            )
        self.stdout.write(
            "\nEvery published place as one GeoJSON file (name, page, kinds, point: "
            f"what a map that filters in the browser must load): {every_place()}"
        )


def size(response) -> str:
    """Uncompressed size, and the compressed size when the page is compressed."""
    body = response.content
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
