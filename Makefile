# The two front-door commands: `make run` starts everything, `make test` passes the tests.
# Both install what is missing first (virtualenv, pinned packages, Kafka jars).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit docs install jars clean bench toxiproxy reliability audit

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

test: install jars toxiproxy lint typecheck
	$(PY) -m pytest

# Toxiproxy (a TCP fault proxy) for the fault suite, built once from the Go module proxy.
TOXIPROXY := .cache/tools/toxiproxy/server
TOXIPROXY_VERSION := v2.5.0

$(TOXIPROXY):
	GOBIN=$(CURDIR)/.cache/tools/toxiproxy go install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)

toxiproxy: $(TOXIPROXY)

# The fault, bad-input and security suites in the full profile, then RELIABILITY.md from their figures.
RELIABILITY_SUITES := $(wildcard tests/reliability tests/hostile tests/security)

reliability: install jars toxiproxy
	rm -rf .reliability && mkdir -p .reliability
	RELIABILITY_PROFILE=full RELIABILITY_RESULTS=.reliability/results.jsonl $(PY) -m pytest -p no:logging $(RELIABILITY_SUITES); echo $$? > .reliability/exit-code
	$(PY) -m tests.reliability.report --results .reliability/results.jsonl --markdown RELIABILITY.md --json RELIABILITY.jsonl
	exit $$(cat .reliability/exit-code)

audit: install
	$(PY) -m pytest -q tests/security/test_dependency_audit.py

unit: install
	$(PY) -m pytest tests/unit

# Benchmarks against the bare infrastructure in the same run; writes BENCHMARKS.md and
# benchmarks.json. Sizes: BENCH_ARGS="--events 50000 --seconds 60" (see python -m bench --help).
bench: install jars
	$(PY) -m bench $(BENCH_ARGS)

docs: install
	$(PY) -m deploy.asyncapi docs/asyncapi

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache
