# The two front-door commands: `make run` starts everything, `make test` passes the tests.
# Both install what is missing first (virtualenv, pinned packages, Kafka jars).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# What builds once per machine (uv, the Go tools, SecantusDB's Rust server) lives in the user's
# cache under its version, so a new clone on the same machine copies it instead of rebuilding.
USER_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/support-data-platform

# uv installs .venv exactly as uv.lock says (hashes checked, nothing resolved at install time).
# uv itself comes from PyPI, pinned by hash in deploy/uv-bootstrap.txt, into the user's cache.
UV_HOME := $(USER_CACHE)/uv-$(shell sha256sum deploy/uv-bootstrap.txt | cut -c1-12)
UV := $(UV_HOME)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# compose-test: the platform in containers (deploy/docker), see below.
.PHONY: compose-test run test pytest pytest-rest pytest-faults browser secrets lint typecheck unit docs install jars clean bench toxiproxy reliability audit tools lock prometheusrule promtool-go secantus

$(UV):
	$(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet --require-hashes --no-deps --requirement deploy/uv-bootstrap.txt
	touch $(UV)

$(STAMP): pyproject.toml uv.lock $(UV)
	mkdir -p .cache && rm -rf .cache/uv && ln -s $(UV_HOME) .cache/uv
	$(UV) sync --quiet --frozen --all-extras --python $(PYTHON)
	touch $(STAMP)

install: $(STAMP)

jars: $(STAMP)
	$(PY) -c "from deploy.local.stack import ensure_kafka_jars; ensure_kafka_jars()"

# SecantusDB's Rust server (crates.io `secantus-mdb`), the embedded store: 3-16x faster than its
# Python server, which stays the fallback where no Rust toolchain is found. Built once into the
# user's cache (about 9 minutes on 2 cores; a new clone on the same machine reuses it). Every
# released version declares rust-version 1.98; it compiles and passes the suite on 1.95.
SECANTUS_VERSION := 0.5.3-beta.196
SECANTUS_HOME := $(USER_CACHE)/secantus-mdb-$(SECANTUS_VERSION)
SECANTUS_RS := $(SECANTUS_HOME)/bin/secantusd-rs

$(SECANTUS_RS):
	@if command -v cargo >/dev/null; then \
	  echo "building SecantusDB's Rust server $(SECANTUS_VERSION) (once, several minutes) ..."; \
	  cargo install --quiet secantus-mdb --version $(SECANTUS_VERSION) --locked \
	    --ignore-rust-version --root $(SECANTUS_HOME); \
	else echo "no cargo: the store runs SecantusDB's Python server (slower)"; fi

secantus: $(SECANTUS_RS)

# Debian's Chromium and ChromeDriver for the browser tests (tests/browser), installed once as
# root where they are missing; elsewhere those tests say how to get them and are skipped.
AXE_VERSION := 4.14.1
AXE_SHA256 := e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745
AXE := $(USER_CACHE)/axe-core-$(AXE_VERSION)/axe.min.js

# axe-core (npm), the accessibility checker the browser tests inject into each page; pinned by
# the hash of its package.
$(AXE):
	@mkdir -p $(dir $@) && cd $(dir $@) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && echo "$(AXE_SHA256)  axe-core-$(AXE_VERSION).tgz" | sha256sum --check --quiet \
	  && tar xzf axe-core-$(AXE_VERSION).tgz --strip-components=1 package/axe.min.js \
	  || echo "could not fetch axe-core: the accessibility checks will be skipped"

browser: $(AXE)
	@if [ ! -x /usr/bin/chromedriver ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium and chromium-driver for the browser tests ..."; \
	    (apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q chromium chromium-driver >/dev/null)) \
	    || echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "no chromium: the browser tests will be skipped (apt-get install chromium chromium-driver)"; fi; \
	fi

# Fresh secrets for docker compose into .env (never overwrites one): the services refuse to start
# with the development secrets outside the local stack.
secrets: install
	$(PY) -m deploy.secrets

run: install jars secantus
	$(PY) -m deploy.local.run

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy

# Lint and type-check side by side with the tests (the suite mostly waits on Kafka and the store),
# and the fault run (tests/reliability/test_faults.py: its own Kafka, store and services, mostly
# waiting out faults) as a second pytest beside the rest.
FAULT_RUN := tests/reliability/test_faults.py

test: install jars tools secantus browser
	AXE_JS=$(AXE) $(MAKE) --no-print-directory -j4 lint typecheck pytest-rest pytest-faults

pytest: install
	$(PY) -m pytest --durations=15

pytest-rest: install
	$(PY) -m pytest --durations=15 --deselect $(FAULT_RUN) -p no:cacheprovider

pytest-faults: install
	$(PY) -m pytest -q -p no:cacheprovider $(FAULT_RUN)

# Toxiproxy (a TCP fault proxy) for the fault suite, built once from the Go module proxy.
TOXIPROXY := .cache/tools/toxiproxy/server
TOXIPROXY_VERSION := v2.5.0

$(USER_CACHE)/toxiproxy-$(TOXIPROXY_VERSION)/server:
	GOBIN=$(dir $@) GOTOOLCHAIN=local go install github.com/Shopify/toxiproxy/v2/cmd/server@$(TOXIPROXY_VERSION)

$(TOXIPROXY): $(USER_CACHE)/toxiproxy-$(TOXIPROXY_VERSION)/server
	mkdir -p $(dir $@) && cp $< $@

toxiproxy: $(TOXIPROXY)

# The fault, bad-input and security suites in the full profile (the fault run also with two
# processes of every service), then RELIABILITY.md from their figures and those of the latest
# `make compose-test` (.reliability/containers.jsonl: restarts and down/up of the containers).
RELIABILITY_SUITES := $(wildcard tests/reliability tests/hostile tests/security)

reliability: install jars toxiproxy secantus
	mkdir -p .reliability && rm -f .reliability/results.jsonl .reliability/exit-code
	RELIABILITY_PROFILE=full RELIABILITY_REPLICAS="1 2" RELIABILITY_RESULTS=.reliability/results.jsonl $(PY) -m pytest -p no:logging $(RELIABILITY_SUITES); echo $$? > .reliability/exit-code
	$(PY) -m tests.reliability.report --results .reliability/results.jsonl \
	  --results .reliability/containers.jsonl --markdown RELIABILITY.md --json RELIABILITY.jsonl
	exit $$(cat .reliability/exit-code)

audit: install
	$(PY) -m pytest -q tests/security/test_dependency_audit.py

# The fast layer: domain rules, and the four services in memory (tests/support/memory.py).
unit: install
	$(PY) -m pytest tests/unit -m "not real"

# The bench's mail sink: Postfix's `smtp-sink` (C), from Debian's signed package at a pinned
# version, unpacked into the user's cache with its libraries; nothing is installed system-wide.
# Where apt cannot fetch it the bench says so and sinks mail with aiosmtpd (Python) instead.
POSTFIX_VERSION := 3.7.11-0+deb12u1
SMTP_SINK := $(USER_CACHE)/postfix-$(POSTFIX_VERSION)/smtp-sink

# Benchmarks against the bare infrastructure in the same run; writes BENCHMARKS.md and
# benchmarks.json. Sizes: BENCH_ARGS="--events 50000 --seconds 60" (see python -m bench --help).
bench: install jars secantus $(SMTP_SINK)
	BENCH_SMTP_SINK=$(SMTP_SINK) $(PY) -m bench $(BENCH_ARGS)

$(SMTP_SINK):
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && cd "$$tmp" \
	  && apt-get download -q postfix=$(POSTFIX_VERSION) && dpkg-deb -x postfix_*.deb x \
	  && mkdir -p $(dir $@) && cp x/usr/lib/postfix/libpostfix-*.so $(dir $@) \
	  && cp x/usr/sbin/smtp-sink $@ \
	  || echo "bench: Postfix's smtp-sink not fetched; the bench sinks mail with aiosmtpd"

docs: install
	$(PY) -m deploy.asyncapi docs/asyncapi

clean:
	rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache

# Deploy validation tools (tests/deploy), built from the Go module proxy into .cache/tools/bin.
# Cold: kustomize ~5.5 min (Go build, 2 busy cores), promtool and the schema seconds.
TOOLS := .cache/tools
GO_INSTALL := GOBIN=$(abspath $(TOOLS))/bin GOTOOLCHAIN=local go install
KUSTOMIZE_VERSION := v5.8.1
PROMETHEUS_VERSION := v0.316.0
COMPOSE_GO_VERSION := v2.9.1

tools: $(TOOLS)/bin/kustomize $(TOOLS)/bin/promtool $(TOOLS)/compose-spec.json $(TOXIPROXY)

$(USER_CACHE)/kustomize-$(KUSTOMIZE_VERSION)/kustomize:
	GOBIN=$(dir $@) GOTOOLCHAIN=local go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(TOOLS)/bin/kustomize: $(USER_CACHE)/kustomize-$(KUSTOMIZE_VERSION)/kustomize
	mkdir -p $(dir $@) && cp $< $@

# promtool from Debian's prometheus package (a static Go binary, ~19 MB, seconds to fetch):
# building it from the Go module proxy took over 35 minutes cold on this 2-core machine.
# `make promtool-go` builds the newer one from source instead (same path).
$(USER_CACHE)/promtool-debian/promtool:
	mkdir -p $(dir $@)deb
	cd $(dir $@)deb && (apt-get download prometheus || (apt-get update -qq && apt-get download prometheus))
	dpkg-deb -x $(dir $@)deb/prometheus_*.deb $(dir $@)deb/root
	cp $(dir $@)deb/root/usr/bin/promtool $@
	rm -rf $(dir $@)deb

$(TOOLS)/bin/promtool: $(USER_CACHE)/promtool-debian/promtool
	mkdir -p $(dir $@) && cp $< $@

promtool-go:
	$(GO_INSTALL) github.com/prometheus/prometheus/cmd/promtool@$(PROMETHEUS_VERSION)

# The official compose-spec JSON schema, as shipped in the compose-go module.
$(TOOLS)/compose-spec.json:
	mkdir -p $(TOOLS)
	cp "$$(go mod download -json github.com/compose-spec/compose-go/v2@$(COMPOSE_GO_VERSION) \
	  | $(PYTHON) -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')/schema/compose-spec.json" $@
	chmod u+w $@

# The platform in containers, for real: a Docker engine (started as root where none answers,
# deploy/docker/engine.sh), stand-in images for what Docker Hub would give (deploy/docker/
# stand-ins.sh), then `docker compose up --build --wait` and the flows through the published
# ports (tests/compose), part of the suite on testcontainers with the stand-ins, and the fault
# suite with two processes of every service (scale-out; short profile). The compose
# v2 plugin and Mailpit are built once from the Go module proxy into the user's cache. Without
# an engine, and not root, it says so and does nothing. CI runs it after `make test`.
COMPOSE_VERSION := v5.6.0
MAILPIT_VERSION := v1.27.11
COMPOSE := $(USER_CACHE)/compose-$(COMPOSE_VERSION)/docker-compose
MAILPIT := $(USER_CACHE)/mailpit-$(MAILPIT_VERSION)/mailpit
# (Ryuk, testcontainers' reaper, is an image from Docker Hub too: the fixtures stop their own.)
STAND_IN_IMAGES := TEST_KAFKA_IMAGE=sdp-standin/kafka:4.1.1 \
  TEST_STORE_IMAGE=sdp-standin/secantus:$(SECANTUS_VERSION) TESTCONTAINERS_RYUK_DISABLED=true

# compose's go.mod excludes modules, so `go install …@version` refuses it: built in its source.
$(COMPOSE):
	rm -rf $(dir $@)src && mkdir -p $(dir $@)
	cp -r "$$(GOTOOLCHAIN=local go mod download -json github.com/docker/compose/v5@$(COMPOSE_VERSION) \
	  | $(PYTHON) -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')" $(dir $@)src
	chmod -R u+w $(dir $@)src
	cd $(dir $@)src && GOTOOLCHAIN=local go build -trimpath -o $@ -ldflags \
	  "-s -w -X github.com/docker/compose/v5/internal.Version=$(COMPOSE_VERSION)" ./cmd
	rm -rf $(dir $@)src

$(MAILPIT):
	GOBIN=$(dir $@) GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath -ldflags \
	  "-s -w -X github.com/axllent/mailpit/config.Version=$(MAILPIT_VERSION)" \
	  github.com/axllent/mailpit@$(MAILPIT_VERSION)

compose-test: install jars secantus toxiproxy $(COMPOSE) $(MAILPIT)
	@mkdir -p .reliability && rm -f .reliability/containers.jsonl
	@if bash deploy/docker/engine.sh; then \
	  export RELIABILITY_RESULTS=$(abspath .reliability/containers.jsonl); \
	  MAILPIT_VERSION=$(MAILPIT_VERSION) bash deploy/docker/stand-ins.sh \
	    $(abspath .cache/kafka/jars) $(SECANTUS_RS) $(MAILPIT) \
	  && COMPOSE_TEST=1 DOCKER_COMPOSE=$(COMPOSE) $(PY) -m pytest -p no:cacheprovider tests/compose \
	    tests/deploy/test_compose_and_images.py \
	  && TEST_INFRASTRUCTURE=containers $(STAND_IN_IMAGES) $(PY) -m pytest -p no:cacheprovider \
	    tests/e2e \
	  && RELIABILITY_REPLICAS=2 $(PY) -m pytest -p no:cacheprovider tests/reliability/test_faults.py; \
	else echo "compose-test: no Docker engine here, nothing run"; fi

# uv.lock: every dependency, runtime and dev, resolved once and hashed; `make lock` updates it on
# purpose (after a pin in pyproject.toml changes). requirements.lock is its runtime part, for the
# images (pip --require-hashes); tests/deploy/test_lock.py fails when either is out of date.
lock: $(UV)
	$(UV) lock --python $(PYTHON)
	$(UV) export --quiet --frozen --no-dev --no-emit-project --format requirements-txt \
	  --output-file requirements.lock > /dev/null

# deploy/k8s/base/prometheusrule.yaml from deploy/prometheus/alerts.yml.
prometheusrule: install
	$(PY) -m tests.deploy.prometheusrule
