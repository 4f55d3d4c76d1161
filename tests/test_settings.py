"""Settings come from the environment; production static files are hashed, gzipped."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings


def manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_secret_key_is_refused_when_debug_is_off():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_static_files_are_hashed_and_compressed(tmp_path):
    production = {
        "DEBUG": "0",
        "SECRET_KEY": "x",
        "STATIC_MANIFEST": "1",
        "STATIC_ROOT": str(tmp_path),
    }
    result = manage("collectstatic", "--noinput", **production)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css"
    assert (tmp_path / (hashed + ".gz")).exists()
    assert "leaflet/leaflet.js" in manifest["paths"]
    # Hashed files never change: a CDN and browsers may keep them for ever.
    served = manage(
        "shell",
        "-c",
        "from django.test import Client; "
        f"r = Client().get('/static/{hashed}', HTTP_ACCEPT_ENCODING='gzip'); "
        "print(r.status_code, r['Cache-Control'], r.get('Content-Encoding'), sep='|')",
        **production,
    )
    assert served.returncode == 0, served.stderr
    status, cache_control, encoding = served.stdout.strip().splitlines()[-1].split("|")
    assert status == "200" and encoding == "gzip"
    assert "immutable" in cache_control and "public" in cache_control


def test_language_time_zone_and_persistent_connections():
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert (
        settings.DATABASES["default"]["ENGINE"]
        == "django.contrib.gis.db.backends.postgis"
    )


def test_redis_url_gives_every_process_the_same_cache():
    """With REDIS_URL (the local Redis here, database 15), what one process caches
    another reads: the searches cached under the data's version are shared."""
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/15", "DEBUG": "1"}
    write = manage(
        "shell",
        "-c",
        "from django.core.cache import cache, caches; cache.clear();"
        "cache.set('partage', 42); print(type(caches['default']).__name__)",
        **redis,
    )
    assert write.returncode == 0, write.stderr
    assert write.stdout.split()[-1] == "RedisCache"
    read = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; print(cache.get('partage'))",
        **redis,
    )
    assert read.stdout.split()[-1] == "42"
    # Without REDIS_URL, each process has its own memory.
    alone = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; print(cache.get('partage'))",
        DEBUG="1",
    )
    assert alone.stdout.split()[-1] == "None"


def test_production_settings_pass_the_deployment_checks():
    """Production settings (README, Configuration): HTTPS, HSTS, secure cookies."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="k" * 20 + "-production-key-of-fifty-characters-or-more-0123",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_SSL_REDIRECT="1",
        SECURE_COOKIES="1",
        ALLOWED_HOSTS="lieux.example.org",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_planner_knows_the_directory_fits_in_memory(db):
    """Every connection plans with random reads as cheap as sequential ones (1.1):
    with PostgreSQL's default (4) a département's page scanned every place to
    count its own (73 ms, 7 ms by its communes' index)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('random_page_cost')::float")
        assert cursor.fetchone()[0] == 1.1


@pytest.mark.parametrize("value", ["", "fast", "nan", "-1", "inf"])
def test_a_wrong_page_cost_is_refused_with_its_name(value):
    result = manage("check", DEBUG="1", DATABASE_PAGE_COST=value)
    if value == "":  # unset: the default
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "DATABASE_PAGE_COST must be a positive number" in result.stderr
