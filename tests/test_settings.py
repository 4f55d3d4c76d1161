"""Settings come from the environment; production static files are hashed, gzipped."""

import json
import os
import subprocess
import sys

from django.conf import settings


def manage(*args, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")
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
    result = manage(
        "collectstatic",
        "--noinput",
        DEBUG="0",
        SECRET_KEY="x",
        STATIC_MANIFEST="1",
        STATIC_ROOT=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css"
    assert (tmp_path / (hashed + ".gz")).exists()
    assert "leaflet/leaflet.js" in manifest["paths"]


def test_language_time_zone_and_persistent_connections():
    assert settings.LANGUAGE_CODE == "fr"
    assert settings.TIME_ZONE == "Europe/Paris"
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0
    assert (
        settings.DATABASES["default"]["ENGINE"]
        == "django.contrib.gis.db.backends.postgis"
    )
