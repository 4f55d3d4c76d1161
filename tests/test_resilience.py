"""The site keeps serving when a part fails, and tells: Redis unreachable, a replica
down or wrong, behind a reverse proxy (one attacker must not lock everyone out),
health checks over plain http, HEAD requests."""

import json
import socket
import threading

import pytest
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from epn_directory import cache as cache_breaker
from epn_directory import replicas
from epn_directory.settings import redis_cache

from .factories import PlaceFactory

pytestmark = pytest.mark.django_db

PUBLIC_PATHS = [
    "/",
    "/lieux/",
    "/lieux/?q=lices&ou=Rennes&ouvert=1",
    "PLACE",
    "/territoires/35/",
    "/carte/",
    "/carte/liste/",
    "/carte/lieux.geojson",
    "/export/lieux.csv",
    "/sitemap.xml",
    "/robots.txt",
]


@pytest.fixture
def place(db):
    return PlaceFactory(name="Médiathèque des Lices", kinds=["epn"])


def url(path: str, place) -> str:
    return place.get_absolute_url() if path == "PLACE" else path


def consume(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def redis_unreachable(settings):
    """The shared cache as production configures it, at an address where nothing
    answers (connection refused)."""
    settings.CACHES = {
        **settings.CACHES,
        "default": redis_cache("redis://127.0.0.1:1/0"),
    }
    settings.PAGE_CACHE_SECONDS = 600  # the page cache is on, as in production
    cache_breaker.reset()
    yield
    cache_breaker.reset()


@pytest.fixture
def redis_that_hangs(settings):
    """A "Redis" that accepts connections and never answers; how many times it
    was connected to."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(50)
    accepted = []

    def accept():
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = listener.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "default": redis_cache(f"redis://127.0.0.1:{port}/0"),
    }
    settings.PAGE_CACHE_SECONDS = 600
    cache_breaker.reset()
    yield accepted
    cache_breaker.reset()
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_redis_that_hangs_is_left_alone_after_one_timeout(
    client, place, redis_that_hangs
):
    for path in ["/", "/lieux/", "/carte/", place.get_absolute_url()]:
        assert client.get(path).status_code == 200
    # One connection timed out; every later cache call failed at once.
    assert len(redis_that_hangs) == 1


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_public_pages_are_served_when_redis_is_unreachable(
    client, place, redis_unreachable, path
):
    response = client.get(url(path, place))
    consume(response)
    assert response.status_code == 200


def test_suggestions_are_accepted_when_redis_is_unreachable(
    client, place, redis_unreachable
):
    response = client.post(
        f"{place.get_absolute_url()}signaler/",
        {"field": "phone", "proposed_value": "02 99 00 00 00"},
    )
    assert response.status_code == 302


def test_healthz_says_the_cache_is_down(client, redis_unreachable):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 200  # the site serves: the balancer keeps it
    assert body["status"] == "degraded"
    assert body["checks"]["default"] == "ok"
    assert body["checks"]["cache"].startswith("error")


def test_healthz_answers_on_plain_http_with_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/lieux/").status_code == 301
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"default": "ok", "cache": "ok", "tasks": "ok"},
    }


def test_healthz_says_when_no_task_worker_keeps_up(client, admin_user):
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from coordination.models import ImportJob
    from coordination.tasks import check_import

    job = ImportJob.objects.create(user=admin_user, file_name="x.csv")
    check_import.enqueue(job.pk)
    assert json.loads(client.get("/healthz").content)["checks"]["tasks"] == "ok"
    DBTaskResult.objects.update(enqueued_at=timezone.now() - dt.timedelta(minutes=5))
    body = json.loads(client.get("/healthz").content)
    assert body["status"] == "degraded"
    assert body["checks"]["tasks"] == "error: 1 waiting for more than 2 minutes"
    # A worker that stopped in the middle of a task.
    DBTaskResult.objects.update(
        status="RUNNING", started_at=timezone.now() - dt.timedelta(hours=1)
    )
    body = json.loads(client.get("/healthz").content)
    assert body["checks"]["tasks"] == "error: 1 running for more than 30 minutes"


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_head_answers_like_get(client, place, path):
    response = client.head(url(path, place))
    assert response.status_code == 200
    assert response["Content-Type"] == client.get(url(path, place))["Content-Type"]


def test_head_on_the_suggestion_form(client, place):
    assert client.head(f"{place.get_absolute_url()}signaler/").status_code == 200


# Behind a reverse proxy (BEHIND_TLS_PROXY: one trusted proxy).


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def through_proxy(forwarded_for: str) -> dict:
    """A request as the proxy passes it on: from its own address, with the
    client's appended to X-Forwarded-For."""
    return {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": forwarded_for}


def test_one_attacker_behind_the_proxy_does_not_lock_everyone_out(behind_proxy):
    User.objects.create_user(
        "camille", password="un mot de passe solide 42", is_staff=True
    )
    attacker = Client()
    for _ in range(5):
        attacker.post(
            "/admin/login/",
            {"username": "personne", "password": "faux"},
            # What the attacker writes in the header is not believed: the proxy
            # appended the address it really saw.
            **through_proxy("198.51.100.7, 203.0.113.5"),
        )
    blocked = attacker.post(
        "/admin/login/",
        {"username": "camille", "password": "un mot de passe solide 42"},
        **through_proxy("203.0.113.5"),
    )
    assert blocked.status_code == 429
    someone_else = Client().post(
        "/admin/login/",
        {"username": "camille", "password": "un mot de passe solide 42"},
        **through_proxy("198.51.100.7"),
    )
    assert someone_else.status_code == 302  # logged in


def test_no_one_can_lock_a_coordinator_out_by_failing_with_their_name(behind_proxy):
    User.objects.create_user(
        "camille", password="un mot de passe solide 42", is_staff=True
    )
    for n in range(6):
        Client().post(
            "/admin/login/",
            {"username": "camille", "password": "faux"},
            **through_proxy(f"203.0.113.{n + 10}"),
        )
    camille = Client().post(
        "/admin/login/",
        {"username": "camille", "password": "un mot de passe solide 42"},
        **through_proxy("198.51.100.7"),
    )
    assert camille.status_code == 302


def test_one_spammer_behind_the_proxy_does_not_silence_every_citizen(
    behind_proxy, place, settings
):
    settings.SUGGESTIONS_PER_HOUR = 2
    form = f"{place.get_absolute_url()}signaler/"
    data = {"field": "phone", "proposed_value": "02 99 00 00 00"}
    spammer = [
        Client().post(form, data, **through_proxy("203.0.113.5")).status_code
        for _ in range(3)
    ]
    assert spammer == [302, 302, 429]
    citizen = Client().post(form, data, **through_proxy("192.0.2.44"))
    assert citizen.status_code == 302


def test_without_a_proxy_the_forwarded_header_is_ignored(settings, place):
    settings.SUGGESTIONS_PER_HOUR = 1
    form = f"{place.get_absolute_url()}signaler/"
    data = {"field": "phone", "proposed_value": "02 99 00 00 00"}
    first = Client().post(form, data, REMOTE_ADDR="203.0.113.5")
    # Changing the header does not make a new client when no proxy is trusted.
    second = Client().post(
        form, data, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="192.0.2.1"
    )
    assert (first.status_code, second.status_code) == (302, 429)


# Read replicas that fail.


@pytest.fixture
def broken_replica(settings, committed_rennes):
    """ "replica1" (in tests, a second connection to the test database) made to
    fail: `how` is "down" (nothing listens) or "wrong" (a database without our
    tables). Restored afterwards."""
    settings.DATABASE_READ_REPLICAS = ["replica1"]
    replica = connections["replica1"]
    saved = dict(replica.settings_dict)
    replicas._down_until.clear()

    def break_it(how: str) -> None:
        replica.close()
        if how == "down":
            replica.settings_dict["PORT"] = "1"
        else:
            replica.settings_dict["NAME"] = "postgres"

    yield break_it
    replica.close()
    replica.settings_dict.update(saved)
    replicas._down_until.clear()


@pytest.mark.django_db(transaction=True, databases=["default", "replica1"])
@pytest.mark.parametrize("how", ["down", "wrong"])
def test_a_failing_replica_falls_back_on_the_primary(broken_replica, how):
    # The test client would raise the replica's error, answered since from the
    # primary: as a browser, it only sees the response.
    client = Client(raise_request_exception=False)
    place = PlaceFactory(name="Médiathèque des Lices")
    broken_replica(how)
    for path in PUBLIC_PATHS:
        response = client.get(url(path, place))
        consume(response)
        assert response.status_code == 200, path
    # A stream is checked before it begins: the whole export, not its header only.
    for _ in range(2):  # whether the replica is already left alone or not
        replicas._down_until.clear()
        export = client.get("/export/lieux.csv")
        assert "Médiathèque des Lices" in consume(export)
    assert "Médiathèque des Lices" in client.get("/lieux/?q=lices").content.decode()
    health = client.get("/healthz")
    body = json.loads(health.content)
    assert health.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["replica1"].startswith("error")
