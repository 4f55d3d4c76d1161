"""Backups with pg_dump, and a restore into a new database that is then read back
(manage.py backup_database / restore_database, docs/deploy.md)."""

import shutil
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from backups.management.commands.restore_database import Command as RestoreCommand
from places.models import Place, Territory

from .factories import PlaceFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump not installed"),
]


def server(name: str):
    """A connection to another database of the test server (the command's own)."""
    return RestoreCommand.server(connection.settings_dict, name)


def read(name: str, query: str) -> list[tuple]:
    with server(name) as other:
        return other.execute(query).fetchall()


@pytest.fixture
def restored_name():
    name = f"epn_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with server("postgres") as postgres:
        postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_backup_restores_into_a_new_database_with_everything(
    tmp_path, restored_name, capsys
):
    Territory.objects.get_or_create(
        level="commune", code="35238", defaults={"name": "Rennes"}
    )
    fablab = PlaceFactory(name="Fablab des Lices", kinds=["fablab"])
    PlaceFactory(name="Espace numérique du Blosne")
    call_command("backup_database", directory=tmp_path, keep=2)
    backups = list(tmp_path.glob("epn-*.dump"))
    assert len(backups) == 1 and backups[0].stat().st_size > 0

    call_command("restore_database", str(backups[0]), into=restored_name)
    assert "2 places" in capsys.readouterr().out
    rows = read(restored_name, "SELECT name, kind_ids FROM places_place ORDER BY name")
    assert [name for name, _ in rows] == [
        "Espace numérique du Blosne",
        "Fablab des Lices",
    ]
    assert rows[1][1] == list(Place.objects.get(pk=fablab.pk).kind_ids)
    # The restored database works, not only holds rows: its triggers and PostGIS.
    read(restored_name, "UPDATE places_place SET summary = 'mardi' RETURNING id")
    assert (
        read(
            restored_name,
            "SELECT count(*) FROM places_place "
            "WHERE search_vector @@ plainto_tsquery('french_unaccent', 'mardi')",
        )[0][0]
        == 2
    )
    assert read(
        restored_name,
        "SELECT ST_DWithin(location::geography, "
        "ST_MakePoint(-1.6794, 48.1113)::geography, 10) FROM places_place LIMIT 1",
    )[0][0]


def test_only_the_last_backups_are_kept(tmp_path):
    for _ in range(3):
        call_command("backup_database", directory=tmp_path, keep=2)
    assert len(list(tmp_path.glob("epn-*.dump"))) == 2
    assert list(tmp_path.glob("*.partial")) == []


def test_a_file_that_is_not_a_backup_is_refused_and_leaves_nothing(
    tmp_path, restored_name
):
    bogus = tmp_path / "epn-bogus.dump"
    bogus.write_text("name,address\nFablab,1 rue\n")
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore_database", str(bogus), into=restored_name)
    exists = read(
        "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{restored_name}'"
    )
    assert exists == []


def test_the_database_in_use_is_never_overwritten(tmp_path):
    call_command("backup_database", directory=tmp_path)
    backup = next(tmp_path.glob("epn-*.dump"))
    with pytest.raises(CommandError, match="in use"):
        call_command(
            "restore_database", str(backup), into=connection.settings_dict["NAME"]
        )
