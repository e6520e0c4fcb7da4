# Liuhen: `make run` serves a demo on http://127.0.0.1:8000; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export LIUHEN_SHARED_DIR ?= $(abspath ../shared)

.PHONY: setup run serve test test-sqlite test-postgres lint format bench clean-test

setup: $(VENV)/.stamp node_modules/.stamp

$(VENV)/.stamp: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
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

test: setup lint test-sqlite test-postgres

test-sqlite: setup
	LIUHEN_TRACEABILITY_WRITE=1 $(PY) -m pytest

test-postgres: setup
	$(PY) scripts/with_postgres.py -- $(PY) -m pytest -m "not e2e" -p no:cacheprovider

bench: setup
	$(PY) -m benchmarks
