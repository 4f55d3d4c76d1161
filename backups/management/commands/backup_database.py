"""A backup of the whole database: `manage.py backup_database` (daily, from cron).

pg_dump in its custom format (compressed, restored table by table by pg_restore) into
a dated file, written under a temporary name and renamed once complete, so that a
failed run never leaves a file that looks like a backup. The last `--keep` backups
are kept. Restore with `manage.py restore_database` (docs/deploy.md).
"""

import datetime as dt
import os
import shutil
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

PATTERN = "epn-*.dump"


def libpq_environment(database: dict, name: str | None = None) -> dict:
    """The environment that points pg_dump, pg_restore and psql at `database`."""
    env = dict(os.environ)
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
    ):
        if database.get(key):
            env[variable] = str(database[key])
    env["PGDATABASE"] = name or database["NAME"]
    return env


def postgres_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise CommandError(f"{name} not found: install the PostgreSQL client tools.")
    return path


class Command(BaseCommand):
    help = "Dump the database with pg_dump into a dated file; keep the last N."

    def add_arguments(self, parser):
        parser.add_argument(
            "--directory",
            default=os.environ.get(
                "BACKUP_DIR", str(settings.BASE_DIR / "var" / "backups")
            ),
            help="Where backups go (BACKUP_DIR; default: var/backups/ in the project).",
        )
        parser.add_argument(
            "--keep", type=int, default=14, help="How many backups to keep (14)."
        )

    def handle(self, *args, directory, keep, **options):
        if keep < 1:
            raise CommandError("--keep must be at least 1.")
        pg_dump = postgres_tool("pg_dump")
        database = connections["default"].settings_dict
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        target = folder / f"epn-{database['NAME']}-{stamp}.dump"
        partial = target.with_suffix(".dump.partial")
        started = time.monotonic()
        result = subprocess.run(
            [pg_dump, "--format=custom", "--compress=6", "--no-owner",
             "--no-privileges", "--file", str(partial)],
            env=libpq_environment(database),
            capture_output=True,
            text=True,
        )  # fmt: skip
        if result.returncode != 0:
            partial.unlink(missing_ok=True)
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        partial.rename(target)
        backups = sorted(folder.glob(PATTERN), key=lambda path: path.name)
        for old in backups[:-keep]:
            old.unlink()
        self.stdout.write(
            f"Backup written: {target} ({target.stat().st_size / 1e6:.1f} MB, "
            f"{time.monotonic() - started:.1f} s); {min(len(backups), keep)} kept."
        )
