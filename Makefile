# Liuhen: `make run` serves a demo on http://127.0.0.1:8000; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
REPO := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

.PHONY: setup run serve test test-sqlite test-postgres lint format bench clean-test

setup: $(VENV)/.stamp node_modules/.stamp

$(VENV)/.stamp: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py policy_check
	$(PY) manage.py load_demo
	HOST=$(HOST) PORT=$(PORT) scripts/serve.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest's exit code passes through: 1 = tests failed, 4 = usage error (e.g. an unknown clause id),
# 5 = no tests collected (the run says so before its last line; make fails, it never passes silently).
# Both passes run on every core (pytest-xdist; tests of one xdist_group share a worker) and print the
# 15 slowest tests.
test: setup lint test-sqlite test-postgres

PYTEST_PARALLEL ?= -n auto --dist loadgroup --durations=15

# The whole suite on SQLite (the embedded default); writes docs/traceability.md.
test-sqlite: setup
	@echo "==== SQLite 测试轮 SQLite pass ===="
	env -u DATABASE_URL LIUHEN_TRACEABILITY_WRITE=1 $(PY) -m pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# The suite without browser journeys and the fresh-clone test on a throwaway PostgreSQL cluster (tests marked
# postgres run only here).
test-postgres: setup
	$(PY) scripts/with_postgres.py -- $(PY) -m pytest -m "not e2e and not clone" -p no:cacheprovider $(PYTEST_PARALLEL) $(PYTEST_ARGS)

bench: setup
	$(PY) -m benchmarks $(BENCH)
