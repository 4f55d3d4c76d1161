#!/usr/bin/env bash
# Runs a command (the web server) with the task worker beside it, the way `make run`
# and `make serve` serve the site: imports from the admin are done by the worker
# (`manage.py db_worker`). Both stop together (Ctrl-C). In production, run the
# worker as its own service instead (docs/deploy.md).
set -euo pipefail
python=${PYTHON:-.venv/bin/python}
"$python" manage.py db_worker --no-reload &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
"$@"
