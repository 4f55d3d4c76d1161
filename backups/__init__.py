"""Backups of the database (pg_dump, kept N deep) and restoring one into a
database that is checked before it is used: manage.py backup_database and
restore_database (docs/deploy.md)."""
