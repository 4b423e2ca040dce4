"""Schemathesis against each service's OpenAPI document, the service on a real port with real Kafka
and storage behind it: no 5xx, and every 4xx says what was wrong (a JSON `detail`, or for the pages
people open in a browser, a page). Each operation is called with a staff token and without one;
query strings also get a MongoDB operator (`{"$ne": null}`) slipped in."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import schemathesis.engine.errors
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import FlakyStrategyDefinition

from deploy.local.ports import free_port
from services.catalogue import CATALOGUE
from tests.hostile.conftest import STAFF, STAFF_TOKEN
from tests.support.reliability import profile, record

EXAMPLES = {"short": 4, "full": 100}
# schemathesis imports `schemathesis.engine.errors` lazily, in the middle of a stateful run. There
# pytest's assertion rewriting parses it at a deep stack, where CPython 3.11.7's AST depth check
# can fail with "AST constructor recursion depth mismatch" (fixed in 3.11.8); importing it here,
# at a shallow stack, keeps that out of the run.


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run the app (lifespan included) under uvicorn in a thread of its own; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="fuzzed-service", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while not _ready(url):
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the fuzzed service never became ready")
        time.sleep(0.3)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def _ready(url: str) -> bool:
    with contextlib.suppress(requests.RequestException):
        return requests.get(url + "/readyz", timeout=2).status_code == 200
    return False


def problem_with(response: Any, *, documented: frozenset[str] = frozenset()) -> str | None:
    """Why a response breaks the promise (a 5xx, a 4xx without a clear detail), or None.

    A 5xx the operation documents (`/readyz` answers 503 while a consumer retries a transient
    failure) is its answer, provided the body says what is wrong."""
    if response.status_code >= 500:
        if str(response.status_code) in documented and _explains(response):
            return None
        return f"{response.status_code}"
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type") or ""
        if isinstance(content_type, list):  # schemathesis keeps every value of a header
            content_type = content_type[0] if content_type else ""
        if content_type.startswith("text/html"):
            # pages for people (the web form, survey links): the page itself says what went wrong
            return None if response.text.strip() else f"{response.status_code} with an empty page"
        try:
            body: Any = response.json()
        except ValueError:
            return f"{response.status_code} without a JSON body"
        if not isinstance(body, dict) or not body.get("detail"):
            return f"{response.status_code} without a detail"
    return None


def _explains(response: Any) -> bool:
    try:
        body: Any = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(body.get("problems") or body.get("detail"))


def _inject_operators(case: Any) -> None:
    """Every query, path and top-level body value becomes a MongoDB operator."""
    if isinstance(case.query, dict):
        case.query = dict.fromkeys(case.query, '{"$ne": null}')
    if isinstance(case.path_parameters, dict):
        case.path_parameters = dict.fromkeys(case.path_parameters, "$where")
    if isinstance(case.body, dict):
        case.body = {key: {"$ne": None} for key in case.body}


def _fuzz(
    operation: Any, *, url: str, session: requests.Session, headers: dict[str, str]
) -> list[str | None]:
    """Call one operation with generated cases; what was wrong with each answer (None: fine)."""
    outcomes: list[str | None] = []
    documented = frozenset(str(code) for code in operation.definition.raw.get("responses", {}))

    @settings(
        max_examples=EXAMPLES[profile()],
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), hostile=st.booleans())
    def call(case: Any, hostile: bool) -> None:
        if hostile:
            _inject_operators(case)
        answer = case.call(base_url=url, session=session, headers=headers)
        outcomes.append(problem_with(answer, documented=documented))

    call()
    return outcomes


@pytest.mark.parametrize("service", sorted(CATALOGUE))
def test_every_operation_answers_without_5xx_and_explains_its_4xx(
    service: str, infra_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {**infra_env, "STAFF_TOKEN": STAFF_TOKEN, "INTAKE_SMTP_PORT": "0"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("INTAKE_WEB_RATE_BURST", "100000")
    app = CATALOGUE[service].create_app()
    schema = schemathesis.openapi.from_dict(app.openapi())
    calls: list[str] = []
    problems: list[str] = []
    with serving(app) as url, requests.Session() as session:
        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            for headers in (STAFF, {}):
                label = operation.label
                for problem in _fuzz(operation, url=url, session=session, headers=headers):
                    calls.append(label)
                    if problem:
                        problems.append(f"{label}: {problem}")
    record(
        "bad_input",
        f"HTTP API fuzzing: {service}",
        tried=len(calls),
        survived=len(calls) - len(problems),
        violations=len(problems),
        detail=f"schemathesis over {len(operations)} operations, with and without a staff token",
    )
    assert sorted(set(problems)) == []


STEPS = {"short": 5, "full": 10}
RUNS = {"short": 1, "full": 6}


# intake's operations give schemathesis no links to follow (nothing it creates is read back
# through its own API), so its state machine has nothing to run.
STATEFUL = {"short": ["access"], "full": ["access", "retention", "surveys"]}


@pytest.mark.parametrize("service", STATEFUL[profile()])
def test_stateful_sequences_follow_inferred_links_without_5xx(
    service: str, infra_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Schemathesis' state machine: links inferred between operations (create, then read, share,
    delete what was created), with a staff token; the same promises hold at every step."""
    for key, value in {**infra_env, "STAFF_TOKEN": STAFF_TOKEN}.items():
        monkeypatch.setenv(key, value)
    app = CATALOGUE[service].create_app()
    workflow = schemathesis.openapi.from_dict(app.openapi()).as_state_machine()
    calls: list[str] = []
    problems: list[str] = []
    with serving(app) as url, requests.Session() as session:

        class Sequences(workflow):  # type: ignore[misc,valid-type]
            def get_call_kwargs(self, case: Any) -> dict[str, Any]:
                return {"base_url": url, "headers": STAFF, "session": session}

            def validate_response(self, response: Any, case: Any, *_a: Any, **_k: Any) -> None:
                calls.append(case.operation.label)
                problem = problem_with(response)
                if problem:
                    problems.append(f"{case.operation.label}: {problem}")

        cut_short = 0
        for _ in range(RUNS[profile()]):
            try:
                Sequences.run(
                    settings=settings(
                        max_examples=STEPS[profile()],
                        stateful_step_count=6,
                        deadline=None,
                        database=None,
                        phases=[Phase.generate],
                        suppress_health_check=list(HealthCheck),
                    )
                )
            except FlakyStrategyDefinition:
                # The rules a sequence can take depend on what the live server answered, so a
                # long Hypothesis run can find its own draws inconsistent; the calls made until
                # then were checked, and the next run starts afresh.
                cut_short += 1
    record(
        "bad_input",
        f"HTTP API stateful sequences: {service}",
        tried=len(calls),
        survived=len(calls) - len(problems),
        violations=len(problems),
        detail=(
            f"schemathesis state machine over inferred links, staff token, "
            f"{RUNS[profile()]} runs ({cut_short} cut short by Hypothesis)"
        ),
    )
    assert len(calls) > 0
    assert sorted(set(problems)) == []
