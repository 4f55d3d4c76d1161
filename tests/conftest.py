"""Test set-up: a real PostgreSQL/PostGIS database, loaded once per session with the
reference vocabularies and every French territory (and commune centres when the shared
real-data folder is beside the project)."""

import contextlib
import os
import time
from pathlib import Path

import hypothesis
import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.utils import translation

from places.models import Territory
from places.territories import load_territories

SHARED_DATA = Path(settings.BASE_DIR).parent / "shared" / "data"
CENTRES_CSV = SHARED_DATA / "communes_france_centroides.csv"
REFERENCE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"
DEMO = Path(settings.BASE_DIR) / "fixtures" / "demo_places.csv"


def load_demo() -> None:
    """The demo places, as `setup_directory --demo` loads them (the real import)."""
    from places.management.commands.setup_directory import load_demo_places

    load_demo_places(verbosity=0)


# Property-based tests: a quick profile in `make test` (every endpoint, every kind of
# odd input, a few dozen each), the full 1,000 inputs per endpoint in `make fuzz`.
hypothesis.settings.register_profile("quick", max_examples=20)
hypothesis.settings.register_profile("fuzz", max_examples=1000)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

needs_shared_data = pytest.mark.skipif(
    not CENTRES_CSV.exists(),
    reason=f"real data not found at {SHARED_DATA} (../shared/data beside the project)",
)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("loaddata", REFERENCE, verbosity=0)
        load_territories(
            settings.TERRITORIES_DATA_DIR,
            str(CENTRES_CSV) if CENTRES_CSV.exists() else None,
        )
        take_snapshot()


# A test that commits (a live server, threads) empties every table after it,
# territories included. In one process pytest-django runs those tests last; with
# several (`make test`: pytest-xdist, a whole module at a time), a process may take
# a module of ordinary tests after one: before the next test that rolls back, the
# session's data is put back from a copy taken after the set-up, in a schema that
# emptying the tables leaves alone.
SNAPSHOT = "session_snapshot"


def take_snapshot() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT} CASCADE")
        cursor.execute(f"CREATE SCHEMA {SNAPSHOT}")
        for table in connection.introspection.django_table_names(only_existing=True):
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
            if cursor.fetchone()[0]:
                cursor.execute(
                    f'CREATE TABLE {SNAPSHOT}."{table}" AS TABLE public."{table}"'
                )


def restore_snapshot() -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    tables = connection.introspection.django_table_names(only_existing=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [SNAPSHOT],
        )
        kept = [row[0] for row in cursor.fetchall()]
        # As they were: no trigger, no foreign key checked while the rows go back.
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables))
            for table in kept:
                cursor.execute(
                    f'INSERT INTO "{table}" SELECT * FROM {SNAPSHOT}."{table}"'
                )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    ContentType.objects.clear_cache()


EMPTIED = pytest.StashKey[bool]()  # a test that commits ran since the last restore


def database_use(item: pytest.Item) -> str:
    """As pytest-django orders tests: "commits", "rolls back" or ""."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    if (
        "transactional_db" in fixtures
        or "live_server" in fixtures
        or (
            marker is not None
            and (
                marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
            )
        )
    ):
        return "commits"
    return "rolls back" if marker is not None or "db" in fixtures else ""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Before a test that rolls back, the session's data if a test that commits
    (and so empties every table) ran since it was last put back."""
    config = item.config
    if database_use(item) == "rolls back" and config.stash.get(EMPTIED, False):
        from pytest_django.plugin import blocking_manager_key

        with config.stash[blocking_manager_key].unblock():
            restore_snapshot()
        config.stash[EMPTIED] = False
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    result = yield
    if database_use(item) == "commits":
        item.config.stash[EMPTIED] = True
    return result


REAL_FILES = ["lieux_mednum_cnfs_2023.csv", "lieux_mednum_hubs_regionaux_2023.csv"]


@contextlib.contextmanager
def real_files_imported(django_db_blocker):
    """Both real files imported (committed) for a module, and everything they left
    removed after: the places (truncated, without history rows), the coverage and
    the refreshes they queued (a queued task that no worker runs would make
    /healthz say "degraded" in later tests)."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from coverage.models import Distance
    from places.exchange.importer import import_places
    from places.models import Place

    with django_db_blocker.unblock():
        for name in REAL_FILES:
            import_places(str(SHARED_DATA / name))
        yield
        with connection.cursor() as cursor:
            # With what refers to them (links, opening periods); in seconds.
            cursor.execute(
                f"TRUNCATE {Place._meta.db_table}, {Distance._meta.db_table} CASCADE"
            )
        DBTaskResult.objects.all().delete()


@pytest.fixture(autouse=True)
def french_by_default():
    """A request to an English page leaves English active in the thread that made
    it (LocaleMiddleware activates it; nothing restores it after the response): in
    the next test, `get_absolute_url()` gave "/en/lieux/…". Every test starts in
    French, as every request outside /en/ does."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches: pages and counts kept by another test
    (whose data was rolled back) are not this one's, nor are the bitmaps of the
    facet counts."""
    from places import facet_index

    for each in caches.all():
        each.clear()
    facet_index.forget()


@pytest.fixture(autouse=True)
def reads_on_the_primary(settings):
    """A test's data sits in a transaction that no other connection sees: reads stay
    on the primary, except in test_replicas.py, which commits what it writes."""
    settings.DATABASE_READ_REPLICAS = []


@pytest.fixture(autouse=True)
def pages_rendered_each_time(settings):
    """Tests read what the view put in the template's context, which a page served
    whole from the cache has not, and expect a write to show at once: the page and
    count caches are on only where a test says so (test_caching.py, the browser
    tests)."""
    settings.PAGE_CACHE_SECONDS = 0
    settings.COUNT_CACHE_SECONDS = 0


REAL_TIME = time.time  # before a test patches it


class CacheClock:
    """The page and count caches' clock (places.caching), moved by a test rather
    than waited for: the real time plus what the test added."""

    def __init__(self):
        self.offset = 0.0

    def time(self) -> float:
        return REAL_TIME() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def tasks_run_at_once(settings):
    """The task worker's work done as soon as it is asked (the framework's own
    backend for that); test_admin_import's test_the_worker… runs the real worker."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }


@pytest.fixture
def cache_clock(monkeypatch):
    from places import caching

    clock = CacheClock()
    monkeypatch.setattr(caching.time, "time", clock.time)
    return clock


def server_environment() -> dict[str, str]:
    """The environment of a process of ours (gunicorn, the task worker) started by
    a test, on the test database: production settings, no replica, no Redis."""
    from django.db import connection

    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "tests-only-" + "k" * 40,
        "STATIC_MANIFEST": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": "postgis://postgres@127.0.0.1:5432/"
        + connection.settings_dict["NAME"],
        "DATABASE_REPLICA_URLS": "",
        "REDIS_URL": "",
    }


@pytest.fixture
def committed_rennes(transactional_db):
    """For tests whose data other connections must see (a live server, threads):
    they commit, and the database is emptied after each of them, so they set up the
    little they need themselves: the vocabularies, Bretagne, Ille-et-Vilaine and
    Rennes (created when an earlier test emptied them)."""
    call_command("loaddata", REFERENCE, verbosity=0)
    region, _ = Territory.objects.get_or_create(
        level="region",
        code="53",
        defaults={"name": "Bretagne", "search_name": "bretagne"},
    )
    departement, _ = Territory.objects.get_or_create(
        level="departement",
        code="35",
        defaults={
            "name": "Ille-et-Vilaine",
            "search_name": "ille et vilaine",
            "parent": region,
            "departement_code": "35",
            "region_code": "53",
        },
    )
    rennes, _ = Territory.objects.get_or_create(
        level="commune",
        code="35238",
        defaults={
            "name": "Rennes",
            "search_name": "rennes",
            "parent": departement,
            "departement_code": "35",
            "region_code": "53",
            "postal_codes": ["35000"],
            "population": 225081,
        },
    )
    return rennes


@pytest.fixture(scope="module")
def browser():
    """The system Chromium (tests/browsing.py), once per module."""
    from playwright.sync_api import sync_playwright

    from .browsing import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A desktop page (1280 px) checked for script errors and CSP refusals."""
    from .browsing import opened

    with opened(browser) as page:
        yield page
