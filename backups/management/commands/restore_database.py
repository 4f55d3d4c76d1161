"""Restore a backup into a new database: `manage.py restore_database FILE --into NAME`.

The backup is never restored over the database in use: it goes into a new database
on the same server, is checked (tables, places, migrations), and only then does the
operator point DATABASE_URL at it (docs/deploy.md). If anything fails, the new
database is dropped, so nothing half-restored is left behind.
"""

import subprocess
import time
from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from .backup_database import libpq_environment, postgres_tool


class Command(BaseCommand):
    help = "Restore a backup (backup_database) into a new database, then check it."

    def add_arguments(self, parser):
        parser.add_argument("backup", help="A file written by backup_database.")
        parser.add_argument("--into", required=True, help="The new database's name.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Drop the target database first if it exists.",
        )

    def handle(self, *args, backup, into, replace, **options):
        pg_restore = postgres_tool("pg_restore")
        database = connections["default"].settings_dict
        if into == database["NAME"]:
            raise CommandError(
                f"{into} is the database in use: restore into a new one, check it, "
                "then point DATABASE_URL at it."
            )
        path = Path(backup)
        if not path.is_file():
            raise CommandError(f"No backup at {path}.")
        listing = subprocess.run(
            [pg_restore, "--list", str(path)], capture_output=True, text=True
        )
        if listing.returncode != 0:
            raise CommandError(
                f"{path} is not a backup pg_restore can read: {listing.stderr.strip()}"
            )
        started = time.monotonic()
        self.create(database, into, replace)
        try:
            result = subprocess.run(
                [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
                 "--single-transaction", "--dbname", into, str(path)],
                env=libpq_environment(database, into),
                capture_output=True,
                text=True,
            )  # fmt: skip
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
            summary = self.check(database, into)
        except BaseException:
            self.drop(database, into)
            raise
        self.stdout.write(
            f"Restored into {into} in {time.monotonic() - started:.1f} s: {summary}. "
            f"Point DATABASE_URL at it to use it."
        )

    @staticmethod
    def server(database: dict, name: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            dbname=name,
            autocommit=True,
        )

    def create(self, database: dict, name: str, replace: bool) -> None:
        with self.server(database) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists and not replace:
                raise CommandError(f"Database {name} exists (--replace drops it).")
            if exists:
                connection.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            )

    def drop(self, database: dict, name: str) -> None:
        with self.server(database) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)
                )
            )

    def check(self, database: dict, name: str) -> str:
        """The restored database has our tables, its places, and every migration
        this code knows (an older backup would need `migrate` first: said so)."""
        known = {
            (app, migration)
            for app, migration in MigrationLoader(
                None, ignore_no_migrations=True
            ).disk_migrations
        }
        with self.server(database, name) as connection:
            places = connection.execute("SELECT count(*) FROM places_place").fetchone()
            territories = connection.execute(
                "SELECT count(*) FROM places_territory"
            ).fetchone()
            applied = set(
                connection.execute("SELECT app, name FROM django_migrations").fetchall()
            )
        missing = known - applied
        note = f"; {len(missing)} migrations to apply (migrate)" if missing else ""
        return f"{places[0]} places, {territories[0]} territories{note}"
