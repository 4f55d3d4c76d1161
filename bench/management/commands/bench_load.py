"""Throughput of the site under load: `manage.py bench_load` (run by `make bench`).

Starts gunicorn on this database as in production (DEBUG off, hashed static files,
the Redis cache when it answers), then drives it with wrk, a load generator on the
same machine, for each scenario in turn:

- a bare Django page (/bench/bare/: a template, the same middleware, no data), the
  machine's ceiling in this run;
- place pages, listings (text, commune, around me, facets, open now) and a mix of
  every public page as citizens use them;
- "cold and varied": first of all, with the caches empty, hundreds of random
  realistic searches, place, territory and map pages, each asked once, one at a
  time: their latency (p50 / p95) by kind of page;
- "one edit per second": place pages and listings, and the bare page, while
  `bench_writer` edits one place per second as a coordinator does.

Each scenario's URLs are asked once before each measured run (the server's caches
are warm, as they are for the pages people ask for: a page kept longer than
PAGE_FRESH_SECONDS is renewed then, its cost is the cold scenario's); the first
such pass is reported too.
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

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from bench.pages import cold_urls, warm_scenarios
from bench.processes import free_port, redis_answers, wait_until_up
from bench.report import write_section
from places.models import Place

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
        parser.add_argument(
            "--cold", type=int, default=300, help="random searches asked once"
        )
        parser.add_argument(
            "--cold-only",
            action="store_true",
            help="only the cold scenario, printed (not written): for trying changes",
        )

    def handle(
        self, *args, seconds, mixed_seconds, workers, connections, rounds, **options
    ):
        self.cold_count = options["cold"]
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk not found: apt-get install wrk (make bench does).")
        if not Place.objects.published().exists():
            raise CommandError("No published place: run seed_places first.")
        scenarios = warm_scenarios()
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
                self.stdout.write("Cold and varied: each URL once, one at a time…")
                cold = cold_latencies(base, cold_urls(self.cold_count))
                if options["cold_only"]:
                    self.stdout.write("\n".join(cold_table(cold)))
                    return
                rows = self.measure(
                    base, scenarios, load, rounds, seconds, mixed_seconds
                )
                self.stdout.write("One edit per second…")
                edited = self.while_editing(base, env, scenarios, load, seconds)
            finally:
                server.terminate()
                server.wait(timeout=30)
        self.report(rows, workers, connections, rounds, options.get("write"))
        self.report_cold_and_edits(cold, edited, options.get("write"))

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
                first_pass(base, paths)  # what went stale meanwhile is renewed
                runs[label].append(load(paths, seconds))
            for label, _ in (place, listing):
                ratios[label].append(runs[label][-1]["rps"] / runs[bare[0]][-1]["rps"])
        self.stdout.write(f"Mixed traffic, {mixed_seconds} s, then the bare page…")
        first_pass(base, mixed[1])
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
            import redis

            redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # cold: nothing kept
        self.cache = "Redis" if env.get("REDIS_URL") else "per-process memory"
        return env

    def while_editing(self, base, env, scenarios, load, seconds) -> list:
        """The bare page, place pages and listings while a coordinator edits one
        place per second (`bench_writer`, in the server's environment)."""
        place, listing, _mixed = scenarios
        bare = ("bare Django page", ["/bench/bare/"])
        runs = [(label, paths, []) for label, paths in (bare, place, listing)]
        writer = subprocess.Popen(
            [sys.executable, "manage.py", "bench_writer", "--seconds", "100000"],
            cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        started = time.monotonic()
        try:
            for _round in range(3):
                for _label, paths, results in runs:
                    first_pass(base, paths)
                    results.append(load(paths, seconds))
        finally:
            writer.terminate()
            edits = writer.communicate(timeout=60)[0].count("\n")
        self.stdout.write(
            f"{edits} places edited in {time.monotonic() - started:.0f} s."
        )
        return runs

    def report_cold_and_edits(self, cold, edited, target):
        lines = cold_table(cold)
        lines += [
            "",
            "One edit per second (`bench_writer`: a published place saved as the "
            "admin saves it), three rounds of each in turn:",
            "",
            "| scenario | req/s, median | vs bare page (median of rounds) "
            "| latency p50 / p95 | errors |",
            "|---|---|---|---|---|",
        ]
        bare_runs = edited[0][2]
        for label, _paths, results in edited:
            ratios = [
                r["rps"] / b["rps"] for r, b in zip(results, bare_runs, strict=True)
            ]
            middle = sorted(results, key=lambda run: run["rps"])[len(results) // 2]
            lines.append(
                f"| {label} | {statistics.median(r['rps'] for r in results):.0f} "
                f"| {statistics.median(ratios):.0%} "
                f"| {middle['p50']:.1f} / {middle['p95']:.1f} ms "
                f"| {sum(r['errors'] for r in results)} |"
            )
        text = "\n".join(lines)
        self.stdout.write(text)
        if target:
            write_section(Path(target), "cold-and-edits", text)

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


def cold_table(cold: dict) -> list[str]:
    lines = [
        "Cold and varied (the caches empty, each URL asked once, one at a time, "
        "before any other scenario):",
        "",
        "| page | URLs | p50 | p95 | max | errors |",
        "|---|---|---|---|---|---|",
    ]
    for kind, (times, errors) in cold.items():
        cuts = statistics.quantiles(times, n=20)
        lines.append(
            f"| {kind} | {len(times)} | {statistics.median(times):.0f} ms "
            f"| {cuts[18]:.0f} ms | {max(times):.0f} ms | {errors} |"
        )
    return lines


def cold_latencies(base: str, urls: dict[str, list[str]]) -> dict:
    """Each URL once, one at a time, kinds of page interleaved: (latencies in ms,
    errors) by kind."""
    order = [(kind, path) for kind, paths in urls.items() for path in paths]
    random.Random(5).shuffle(order)
    found = {kind: ([], 0) for kind in urls}
    for kind, path in order:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(base + path, timeout=60) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            times, errors = found[kind]
            found[kind] = (times, errors + 1)
            continue
        found[kind][0].append((time.perf_counter() - started) * 1000)
    return found


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
