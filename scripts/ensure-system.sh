#!/usr/bin/env bash
# Make sure the system parts the directory needs are here: PostgreSQL with PostGIS, GDAL,
# and (with --browser) Chromium for the browser tests. Installs them with apt-get when
# run as root; otherwise says exactly what to install.
set -euo pipefail

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

packages=()
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
pg_version=${pg_version:-15}
[ -x "/usr/lib/postgresql/$pg_version/bin/postgres" ] || packages+=("postgresql-$pg_version")
[ -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ] || packages+=("postgresql-$pg_version-postgis-3")
ldconfig -p 2>/dev/null | grep -q 'libgdal\.so' || packages+=(libgdal32)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ "$want_browser" = 1 ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  [ -x /usr/bin/chromedriver ] || packages+=(chromium-driver)
fi

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing system packages: ${packages[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"
  else
    echo "Missing system packages: ${packages[*]}" >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install ${packages[*]}) and run again." >&2
    exit 1
  fi
fi
