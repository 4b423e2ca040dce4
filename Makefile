# The two front-door commands: `make run` starts everything, `make test` passes the tests.
# Both install what is missing first (virtualenv, pinned packages, Kafka jars).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit docs install jars clean audit

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

jars: $(STAMP)
	$(PY) -c "from deploy.local.stack import ensure_kafka_jars; ensure_kafka_jars()"

run: install jars
	$(PY) -m deploy.local.run

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

test: install jars lint typecheck
	$(PY) -m pytest

audit: install
	$(PY) -m pytest -q tests/security/test_dependency_audit.py

unit: install
	$(PY) -m pytest tests/unit

docs: install
	$(PY) -m deploy.asyncapi docs/asyncapi

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
