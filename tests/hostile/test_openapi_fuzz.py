"""Schemathesis against each service's OpenAPI document, the service on a real port with real Kafka
and storage behind it: no 5xx, and every 4xx says what was wrong (a JSON `detail`, or for the pages
people open in a browser, a page). Each operation is called with a staff token and without one;
query strings also get a MongoDB operator (`{"$ne": null}`) slipped in."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from deploy.local.stack import free_port
from tests.hostile.conftest import SERVICES, STAFF, STAFF_TOKEN
from tests.support.reliability import profile, record

EXAMPLES = {"short": 8, "full": 100}


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


def problem_with(response: requests.Response) -> str | None:
    """Why a response breaks the promise (a 5xx, a 4xx without a clear detail), or None."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if 400 <= response.status_code < 500:
        if response.headers.get("content-type", "").startswith("text/html"):
            # pages for people (the web form, survey links): the page itself says what went wrong
            return None if response.text.strip() else f"{response.status_code} with an empty page"
        try:
            body: Any = response.json()
        except json.JSONDecodeError:
            return f"{response.status_code} without a JSON body"
        if not isinstance(body, dict) or not body.get("detail"):
            return f"{response.status_code} without a detail"
    return None


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_operation_answers_without_5xx_and_explains_its_4xx(
    service: str, infra_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {**infra_env, "STAFF_TOKEN": STAFF_TOKEN, "INTAKE_SMTP_PORT": "0"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("INTAKE_WEB_RATE_BURST", "100000")
    factory, settings_class = SERVICES[service]
    app = factory(settings_class())
    schema = schemathesis.openapi.from_dict(app.openapi())
    calls: list[str] = []
    problems: list[str] = []
    with serving(app) as url, requests.Session() as session:
        operations = [result.ok() for result in schema.get_all_operations()]
        for operation in operations:
            for headers in (STAFF, {}):

                @settings(
                    max_examples=EXAMPLES[profile()],
                    deadline=None,
                    database=None,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=operation.as_strategy(), hostile=st.booleans(), auth=st.just(headers))
                def call(case: Any, hostile: bool, auth: dict[str, str]) -> None:
                    if hostile and case.query is not None:
                        case.query = {**case.query, "filter": '{"$ne": null}'}
                    response = case.call(base_url=url, session=session, headers=auth)
                    calls.append(operation.label)
                    problem = problem_with(response)
                    if problem:
                        problems.append(f"{operation.label}: {problem}")

                call()
    record(
        "bad_input",
        f"HTTP API fuzzing: {service}",
        tried=len(calls),
        survived=len(calls) - len(problems),
        violations=len(problems),
        detail=f"schemathesis over {len(operations)} operations, with and without a staff token",
    )
    assert sorted(set(problems)) == []
