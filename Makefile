# Two commands for a newcomer: `make run` (serve the site with demo data) and
# `make test` (the whole test suite). Both install what is missing and are idempotent.

VENV     := .venv
PY       := $(VENV)/bin/python
HOST     ?= 127.0.0.1
PORT     ?= 8000
# Commune centre points: the shared real-data file when it sits beside the project.
CENTRES  ?= $(wildcard ../shared/data/communes_france_centroides.csv)
STAMPS   := .make

.PHONY: run test fuzz bench install system db lint check-migrations serve admin clean messages

run: install db
	DEBUG=1 $(PY) manage.py setup_directory --demo $(if $(CENTRES),--centres $(CENTRES))
	DEBUG=1 PYTHON=$(PY) scripts/with-worker.sh $(PY) manage.py runserver $(HOST):$(PORT)

# The suite in TEST_WORKERS processes (pytest-xdist), each with its own test
# database, a whole test module per process at a time (module fixtures: the real
# files imported, a browser).
TEST_WORKERS ?= 2
test: install db lint check-migrations
	$(VENV)/bin/pytest --numprocesses $(TEST_WORKERS) --dist loadfile

# The full property-based run (not part of `make test` nor CI): 1,000 generated
# requests per public endpoint, none may give a server error, and 1,000 per API
# operation from its OpenAPI description (Schemathesis). About 5 minutes here.
fuzz: install db
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest tests/test_robustness.py tests/test_api_fuzz.py

# Benchmarks (not part of `make test`): 100,000 seeded places in their own database,
# then server time per page and throughput through gunicorn under wrk. Writes the
# tables into docs/benchmarks.md. About 15 minutes the first time (seeding).
BENCH_DB  ?= epn_bench
BENCH_ENV := BENCH=1 DATABASE_URL=postgis://postgres@127.0.0.1:5432/$(BENCH_DB)

bench: install db
	@scripts/ensure-system.sh --bench
	@scripts/ensure-database.sh $(BENCH_DB)
	$(BENCH_ENV) DEBUG=1 $(PY) manage.py setup_directory --demo $(if $(CENTRES),--centres $(CENTRES))
	$(BENCH_ENV) DEBUG=1 $(PY) manage.py seed_places --count 100000 --top-up
	$(BENCH_ENV) DEBUG=0 SECRET_KEY=benchmarks-only STATIC_MANIFEST=0 $(PY) manage.py bench_pages --repeat 30 --write docs/benchmarks.md
	$(BENCH_ENV) DEBUG=1 $(PY) manage.py bench_load --write docs/benchmarks.md
	$(BENCH_ENV) DEBUG=0 SECRET_KEY=benchmarks-only STATIC_MANIFEST=0 $(PY) manage.py bench_admin --write docs/benchmarks.md
	$(BENCH_ENV) DEBUG=0 SECRET_KEY=benchmarks-only STATIC_MANIFEST=0 $(PY) manage.py bench_api --write docs/benchmarks.md

install: system $(STAMPS)/python $(STAMPS)/npm $(STAMPS)/messages

system:
	@scripts/ensure-system.sh $(if $(filter test,$(MAKECMDGOALS)),--browser)

db: system
	@scripts/ensure-database.sh

$(STAMPS)/python: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-compile -e '.[test]'
	@touch $@

# The English pages: locale/*.po compiled into the .mo files Django reads.
$(STAMPS)/messages: $(wildcard locale/*/LC_MESSAGES/*.po) $(STAMPS)/python
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules --verbosity 0
	@touch $@

# After marking or changing French text: gather it into locale/en/LC_MESSAGES/django.po,
# then translate the new entries (`make test` fails while one is empty or fuzzy).
messages: $(STAMPS)/python
	DEBUG=1 $(PY) manage.py makemessages -l en --no-location --ignore=.venv \
		--ignore=node_modules --ignore=tests --ignore=staticfiles

$(STAMPS)/npm: package.json package-lock.json
	@mkdir -p $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(STAMPS)/python
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-migrations: $(STAMPS)/python
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

# Production-like serving: hashed, compressed static files, gunicorn (threaded
# workers, gunicorn.conf.py) and the task worker.
serve: install db
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py setup_directory --demo $(if $(CENTRES),--centres $(CENTRES))
	PYTHON=$(PY) scripts/with-worker.sh $(VENV)/bin/gunicorn -c gunicorn.conf.py --bind $(HOST):$(PORT)

# Create an administrator account for the local admin (asks for a password).
admin: install db
	DEBUG=1 $(PY) manage.py createsuperuser

clean:
	rm -rf $(VENV) node_modules $(STAMPS) staticfiles
