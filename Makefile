# The two front-door commands: `make run` starts everything, `make test` passes the tests.
# Both install what is missing first (virtualenv, pinned packages, Kafka jars).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit docs install jars clean tools lock prometheusrule

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

test: install jars tools lint typecheck
	$(PY) -m pytest

unit: install
	$(PY) -m pytest tests/unit

docs: install
	$(PY) -m deploy.asyncapi docs/asyncapi

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache

# Deploy validation tools (tests/deploy), built from the Go module proxy into .cache/tools/bin.
# Cold: kustomize ~5 min, promtool ~N min on 2 cores; afterwards nothing is rebuilt.
TOOLS := .cache/tools
GO_INSTALL := GOBIN=$(abspath $(TOOLS))/bin GOTOOLCHAIN=local GOFLAGS=-mod=mod go install
KUSTOMIZE_VERSION := v5.8.1
PROMETHEUS_VERSION := v0.316.0
COMPOSE_GO_VERSION := v2.9.1

tools: $(TOOLS)/bin/kustomize $(TOOLS)/bin/promtool $(TOOLS)/compose-spec.json

$(TOOLS)/bin/kustomize:
	$(GO_INSTALL) sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(TOOLS)/bin/promtool:
	$(GO_INSTALL) github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)

# The official compose-spec JSON schema, as shipped in the compose-go module.
$(TOOLS)/compose-spec.json:
	mkdir -p $(TOOLS)
	cp "$$(go mod download -json github.com/compose-spec/compose-go/v2@$(COMPOSE_GO_VERSION) \
	  | $(PYTHON) -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')/schema/compose-spec.json" $@
	chmod u+w $@

# requirements.lock: the runtime dependencies resolved and hashed, for the images.
lock:
	$(PYTHON) -m venv $(TOOLS)/piptools
	$(TOOLS)/piptools/bin/pip install --quiet pip-tools==7.6.2
	$(TOOLS)/piptools/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

# deploy/k8s/base/prometheusrule.yaml from deploy/prometheus/alerts.yml.
prometheusrule: install
	$(PY) -m tests.deploy.prometheusrule
