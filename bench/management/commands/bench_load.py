"""Throughput of the site under load: `manage.py bench_load` (run by `make bench`).

Starts gunicorn on this database as in production (DEBUG off, hashed static files,
the Redis cache when it answers), then drives it with wrk, a load generator on the
same machine, for each scenario in turn:

- a bare Django page (/bench/bare/: a template, the same middleware, no data), the
  machine's ceiling in this run;
- place pages, listings (text, commune, around me, facets, open now) and a mix of
  every public page as citizens use them.

Each scenario's URLs are asked once before it is measured (the server's caches are
warm, as they are for the pages people ask for); that first pass is reported too.
Prints a Markdown table with requests per second and the ratio to the bare page.
"""

import concurrent.futures
import functools
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote_plus

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count

from bench.processes import free_port, redis_answers, wait_until_up
from bench.report import write_section
from places.models import Place, PointX, PointY, Term, Territory

WRK_SCRIPT = r"""
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local threads = 0
function setup(thread) threads = threads + 1; thread:set("number", threads) end
function init(args) math.randomseed(number * 7919 + os.time()) end
function request()
  return wrk.format("GET", paths[math.random(#paths)], {["Accept-Encoding"] = "gzip"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""
WORDS = ["mediatheque", "numerique", "fablab", "espace", "atelier", "cyber",
         "tiers-lieu", "france services", "centre social", "coworking"]  # fmt: skip


class Command(BaseCommand):
    help = "Requests per second through gunicorn under wrk, against a bare page."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=5, help="per run")
        parser.add_argument(
            "--rounds", type=int, default=3, help="bare, place, listing runs in turn"
        )
        parser.add_argument("--mixed-seconds", type=int, default=30)
        parser.add_argument("--workers", type=int, default=2 * os.cpu_count() + 1)
        parser.add_argument("--connections", type=int, default=32)
        parser.add_argument("--write", help="Markdown file to update (docs/…)")

    def handle(
        self, *args, seconds, mixed_seconds, workers, connections, rounds, **options
    ):
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk not found: apt-get install wrk (make bench does).")
        if not Place.objects.published().exists():
            raise CommandError("No published place: run seed_places first.")
        scenarios = self.scenarios()
        port = free_port()
        with tempfile.TemporaryDirectory() as work:
            work = Path(work)
            (work / "load.lua").write_text(WRK_SCRIPT)
            env = self.server_environment(work)
            self.stdout.write("Collecting static files…")
            subprocess.run(
                [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
                cwd=settings.BASE_DIR,
                env=env,
                check=True,
            )
            server = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "gunicorn"),
                    "-c",
                    "gunicorn.conf.py",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--log-level",
                    "warning",
                ],  # fmt: skip
                cwd=settings.BASE_DIR,
                env=env,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_up(base + "/healthz")
                load = functools.partial(
                    run_wrk, wrk, base, connections=connections, work=work
                )
                rows = self.measure(
                    base, scenarios, load, rounds, seconds, mixed_seconds
                )
            finally:
                server.terminate()
                server.wait(timeout=30)
        self.report(rows, workers, connections, rounds, options.get("write"))

    def measure(self, base, scenarios, load, rounds, seconds, mixed_seconds) -> list:
        """The bare page, place pages and listings in turn, `rounds` times (the
        machine's speed drifts: each ratio compares runs a few seconds apart), then
        the mixed traffic once, then the bare page again."""
        bare = ("bare Django page", ["/bench/bare/"])
        place, listing, mixed = scenarios
        first = {}
        for label, paths in (bare, place, listing, mixed):
            self.stdout.write(f"{label}: asking each of {len(set(paths))} URLs once…")
            first[label] = first_pass(base, paths)
        runs = {label: [] for label, _ in (bare, place, listing, mixed)}
        ratios = {label: [] for label, _ in (place, listing, mixed)}
        for number in range(1, rounds + 1):
            self.stdout.write(f"Round {number} of {rounds}, {seconds} s each…")
            for label, paths in (bare, place, listing):
                runs[label].append(load(paths, seconds))
            for label, _ in (place, listing):
                ratios[label].append(runs[label][-1]["rps"] / runs[bare[0]][-1]["rps"])
        self.stdout.write(f"Mixed traffic, {mixed_seconds} s, then the bare page…")
        runs[mixed[0]].append(load(mixed[1], mixed_seconds))
        runs[bare[0]].append(load(bare[1], seconds))
        bare_median = statistics.median(run["rps"] for run in runs[bare[0]])
        ratios[mixed[0]].append(runs[mixed[0]][0]["rps"] / bare_median)
        return [
            (
                label,
                len(set(paths)),
                None if label == bare[0] else first[label],
                runs[label],
                ratios.get(label),
            )
            for label, paths in (bare, place, listing, mixed)
        ]

    def server_environment(self, work: Path) -> dict:
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
        db = connection.settings_dict
        env.update(
            DEBUG="0",
            SECRET_KEY=os.environ.get("SECRET_KEY") or "bench-" + "x" * 50,
            ALLOWED_HOSTS="127.0.0.1",
            STATIC_ROOT=str(work / "static"),
            STATIC_MANIFEST="1",
            BENCH="1",
            BENCH_BARE_PAGE="1",
            LOG_LEVEL="WARNING",
            DATABASE_URL=(
                f"postgis://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}"
            ),
        )
        if db.get("PASSWORD"):
            env["PGPASSWORD"] = db["PASSWORD"]
        if "REDIS_URL" not in env and redis_answers():
            env["REDIS_URL"] = "redis://127.0.0.1:6379/7"
        self.cache = "Redis" if env.get("REDIS_URL") else "per-process memory"
        return env

    def scenarios(self) -> list[tuple[str, list[str]]]:
        """URLs as citizens ask for them, drawn from the data (fixed seed)."""
        rng = random.Random(7)
        published = Place.objects.published()
        ids = list(published.values_list("pk", flat=True))
        sample = rng.sample(ids, min(2000, len(ids)))
        places = list(
            published.filter(pk__in=sample)
            .annotate(lon=PointX("location"), lat=PointY("location"))
            .values_list("slug", "lon", "lat")
        )
        place_pages = [f"/lieux/{slug}/" for slug, _, _ in places]
        services = list(
            Term.objects.filter(vocabulary="service")
            .order_by("pk")
            .values_list("code", flat=True)[:4]
        )
        towns = list(
            Territory.objects.filter(level__in=["commune", "arrondissement"])
            .annotate(n=Count("places"))
            .order_by("-n")
            .values_list("name", flat=True)[:60]
        )
        listings = (
            [f"/lieux/?q={quote_plus(w)}" for w in WORDS]
            + [f"/lieux/?ou={quote_plus(t)}" for t in towns]
            + [f"/lieux/?ou={d}" for d in ("35", "29", "75", "13", "69", "59", "33")]
            + [
                f"/lieux/?lat={lat:.4f}&lon={lon:.4f}&tri=distance"
                for _, lon, lat in places[:60]
                if lat is not None
            ]
            + [
                f"/lieux/?type={kind}&service={service}&frais=gratuit"
                for kind in ("epn", "fablab", "tiers-lieu", "coworking")
                for service in services
            ]
            + ["/lieux/?ouvert=1"]
            + [f"/lieux/?ouvert=1&ou={quote_plus(t)}" for t in towns[:20]]
            + [f"/lieux/?page={n}" for n in range(1, 6)]
        )
        cities = [
            (lon, lat) for _, lon, lat in places[60:120] if lat is not None
        ]  # map views around some places
        map_data = ["/carte/lieux.geojson?bbox=-5.5,41.2,9.8,51.2&zoom=6"] + [
            f"/carte/lieux.geojson?bbox={lon - 0.06:.3f},{lat - 0.03:.3f},"
            f"{lon + 0.06:.3f},{lat + 0.03:.3f}&zoom=13"
            for lon, lat in cities
        ]
        territories = [f"/territoires/{d}/" for d in ("35", "29", "22", "56", "R53")]
        weighted = [
            (place_pages, 45),
            (listings, 25),
            (["/"], 8),
            (map_data, 12),
            (["/carte/", "/carte/?type=fablab"], 5),
            (territories, 5),
        ]
        mixed = []
        for paths, weight in weighted:
            mixed += rng.choices(paths, k=weight * 40)
        rng.shuffle(mixed)
        return [
            ("place pages", place_pages),
            ("listings", listings),
            ("mixed traffic", mixed),
        ]

    def report(self, rows, workers, connections, rounds, target):
        lines = [
            f"gunicorn.conf.py, {workers} workers, cache: {self.cache}; wrk, "
            f"{connections} connections, on the same {os.cpu_count()}-core machine. "
            f"The bare page, place pages and listings run in turn, {rounds} rounds; "
            "a ratio is the median of each round's ratio to the bare page of that "
            "round (mixed traffic: to the median bare page).",
            "",
            "| scenario | distinct URLs | first pass (req/s) | req/s, median (min–max) "
            "| vs bare page | latency p50 / p95 / p99 (median run) | errors |",
            "|---|---|---|---|---|---|---|",
        ]
        for label, count, first, runs, ratios in rows:
            by_speed = sorted(runs, key=lambda run: run["rps"])
            middle = by_speed[len(by_speed) // 2]
            spread = (
                f" ({by_speed[0]['rps']:.0f}–{by_speed[-1]['rps']:.0f})"
                if len(runs) > 1
                else ""
            )
            lines.append(
                f"| {label} | {count} | {'—' if first is None else f'{first:.0f}'} "
                f"| {statistics.median(run['rps'] for run in runs):.0f}{spread} "
                f"| {f'{statistics.median(ratios):.0%}' if ratios else '100%'} "
                f"| {middle['p50']:.1f} / {middle['p95']:.1f} / {middle['p99']:.1f} ms "
                f"| {sum(run['errors'] for run in runs)} |"
            )
        text = "\n".join(lines)
        self.stdout.write(text)
        if target:
            write_section(Path(target), "load", text)
            self.stdout.write(f"Written to {target}.")


def first_pass(base: str, paths: list[str]) -> float:
    """Each distinct URL once (4 at a time): the caches are filled; requests/s."""
    distinct = list(dict.fromkeys(paths))

    def fetch(path: str) -> None:
        with urllib.request.urlopen(base + path, timeout=120) as response:
            response.read()

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(fetch, distinct))
    return len(distinct) / (time.perf_counter() - started)


def run_wrk(wrk, base, paths, seconds, connections, work: Path) -> dict:
    (work / "paths.txt").write_text("\n".join(paths) + "\n")
    result = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(work / "load.lua"), base],
        env={**os.environ, "BENCH_PATHS": str(work / "paths.txt")},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$",
                      result.stdout, re.M)  # fmt: skip
    if not match:
        raise CommandError(f"wrk said:\n{result.stdout}\n{result.stderr}")
    requests, micros, p50, p95, p99, status, socket_errors = map(int, match.groups())
    return {
        "rps": requests / (micros / 1e6),
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "errors": status + socket_errors,
    }
