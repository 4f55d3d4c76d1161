#!/usr/bin/env bash
# Make sure the system parts the directory needs are here: PostgreSQL with PostGIS, GDAL,
# gettext (the translations), (with --browser, for the tests) Chromium and Redis, and
# (with --bench, for make bench) Redis and the load generator wrk. Installs them with apt-get when run as root;
# otherwise says exactly what to install.
set -euo pipefail

want_browser=0
want_bench=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --bench) want_bench=1 ;;
  esac
done
want_redis=$(( want_browser || want_bench ))

packages=()
pg_version=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
pg_version=${pg_version:-15}
[ -x "/usr/lib/postgresql/$pg_version/bin/postgres" ] || packages+=("postgresql-$pg_version")
[ -f "/usr/share/postgresql/$pg_version/extension/postgis.control" ] || packages+=("postgresql-$pg_version-postgis-3")
ldconfig -p 2>/dev/null | grep 'libgdal\.so' >/dev/null || packages+=(libgdal32)  # not -q: with pipefail, SIGPIPE failed it
command -v npm >/dev/null 2>&1 || packages+=(npm)
# msgfmt compiles the translations (English pages); xgettext gathers them.
command -v msgfmt >/dev/null 2>&1 || packages+=(gettext)
if [ "$want_redis" = 1 ]; then
  # The tests check the shared cache against a local Redis; the benchmarks use it.
  command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
fi
if [ "$want_bench" = 1 ]; then
  command -v wrk >/dev/null 2>&1 || packages+=(wrk)
fi
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

# Redis for the tests: started if it does not answer (no systemd in containers).
if [ "$want_redis" = 1 ] && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  echo "Starting Redis…"
  redis-server --daemonize yes --bind 127.0.0.1 --save "" >/dev/null
  for _ in $(seq 1 10); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi
