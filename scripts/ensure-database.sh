#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and that the database exists.
# With DATABASE_URL set, the database is yours to provide: only the server is checked.
set -euo pipefail

PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
export PGHOST PGPORT

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -n | tail -n 1)
    echo "Starting PostgreSQL $version…"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
  fi
  pg_isready -q -h "$PGHOST" -p "$PGPORT" || {
    echo "PostgreSQL does not answer on $PGHOST:$PGPORT. Start it, or set DATABASE_URL." >&2
    exit 1
  }
fi

# The database to create when missing: epn_directory, or the one named (make bench).
name=${1:-epn_directory}
if [ -z "${DATABASE_URL:-}" ] || [ -n "${1:-}" ]; then
  user=${PGUSER:-postgres}
  if ! psql -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    echo "Creating database $name…"
    createdb -U "$user" "$name"
  fi
fi
