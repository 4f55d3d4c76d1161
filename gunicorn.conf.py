"""gunicorn, as production runs it (`make serve`, docs/deploy.md): `gunicorn -c
gunicorn.conf.py`. Settings here are defaults; gunicorn's command line overrides.

Threaded workers (gthread): a long response — a full export streams 100,000 places
for several seconds — occupies one thread, not a whole worker, and the worker keeps
telling the arbiter it is alive. Sync workers were killed after `timeout` seconds in
the middle of such a response, and the client got a 200 with half a file.
"""

import multiprocessing
import os

wsgi_app = "epn_directory.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A worker that has not answered the arbiter for this long is restarted; with
# threads, a slow request no longer counts against it.
timeout = 60
graceful_timeout = 30
# Long exports to slow clients: the connection stays open while they read.
keepalive = 5


def post_worker_init(worker):
    """The application is loaded and lives as long as the worker: what its first
    requests would load is loaded now (templates, translations, URL indexes, the
    hours parser's calendars: 0.7 s of a worker's first page otherwise), then its
    objects are moved out of the garbage collector's sight, so that full
    collections no longer walk them (epn_directory/warmup.py, docs/benchmarks.md)."""
    from epn_directory.warmup import warm_up

    try:
        warm_up()
    except Exception:  # a worker that cannot warm up still serves (cold)
        worker.log.exception("Warm-up failed; this worker starts cold.")
