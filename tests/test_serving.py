"""Serving as production does (gunicorn.conf.py): long responses to slow clients
complete, whatever gunicorn's timeout."""

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings

from bench.processes import free_port, wait_until_up
from places.exchange.importer import import_places

from .conftest import server_environment
from .test_import import v1_row, write_csv

ROWS = 4000


@pytest.fixture
def gunicorn(committed_rennes):
    """gunicorn with the project's configuration on the test database, its
    timeout cut to 2 seconds: a response that held a worker longer was cut."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "2",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=settings.BASE_DIR,
        env=server_environment(),
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/robots.txt")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def slow_download(port: int, path: str, pause: float) -> bytes:
    """Read a little, wait `pause` seconds (the server's send buffer fills and its
    thread blocks), then read the rest."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    # A small receive window, set before connecting: the server's send buffer
    # (4 MB at most here) then fills long before the export's end.
    conn.sock = socket.socket()
    conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    conn.sock.settimeout(60)
    conn.sock.connect(("127.0.0.1", port))
    conn.request("GET", path)
    response = conn.getresponse()
    assert response.status == 200
    first = response.read(16384)
    time.sleep(pause)  # a slow client, on purpose: not a wait for the server
    try:
        return first + response.read()
    finally:
        conn.close()


def test_full_exports_complete_for_slow_clients(gunicorn, tmp_path):
    rows = [
        v1_row(
            id=f"l{n}",
            nom=f"Espace {n}",
            presentation_detail="Texte. " * 80,
            latitude=f"{48.0 + n / 10000:.4f}",
        )
        for n in range(ROWS)
    ]
    # Loaded without matching: 4,000 look-alike names at one address are the worst
    # case for matching (15 s, docs/benchmarks.md), and this test is the export's.
    import_places(
        write_csv(tmp_path / "many.csv", rows), source_name="hub", matching=False
    )
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def download():
        try:
            bodies.append(slow_download(gunicorn, "/export/lieux.json", pause=5))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    clients = [threading.Thread(target=download) for _ in range(2)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert errors == []
    assert [len(json.loads(body)) for body in bodies] == [ROWS, ROWS]


def test_each_worker_loads_our_templates_when_it_starts():
    """gunicorn's post_worker_init warms each worker: every template of ours is
    compiled (a worker's first place page took 0.7 s, the next ones 27 ms), none
    of a library's (django-filter ships one needing a library we do not have)."""
    import gc

    from django.template import engines

    from epn_directory.warmup import our_templates, warm_up

    names = our_templates()
    assert {"base.html", "places/place_detail.html", "places/place_list.html"} <= set(
        names
    )
    assert not any(name.startswith("django_filters/") for name in names)
    loader = engines["django"].engine.template_loaders[0]
    loader.reset()
    try:
        assert warm_up() == len(names)
    finally:
        gc.unfreeze()
    assert set(names) <= set(loader.get_template_cache)
