"""P7 before P11 on real Kafka and storage: a person's erasure asked while a request of theirs
awaits access's organisation decision waits for it, first in the HTTP answer
(`RETENTION_ORGANISATION_DECISION_WAIT_SECONDS`), then held back until the decision comes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared import topics
from shared.clock import FixedClock
from shared.events.intake import RequestReceived
from tests.support.apps import eventually
from tests.support.retention import (
    STAFF,
    erasure_requests,
    organisation_changed,
    organisation_decided,
    publish,
    request_received,
)


@pytest.fixture
def retention_extra() -> dict[str, Any]:
    return {"RETENTION_ORGANISATION_DECISION_WAIT_SECONDS": 3.0}


async def _received(app: FastAPI, producer: AIOKafkaProducer, clock: FixedClock) -> RequestReceived:
    """A request as intake announces it (nobody's yet), once retention has its clock."""
    event = await request_received(app.state.runtime.keys, received_at=clock.now())
    await publish(producer, topics.SUPPORT_REQUESTS, event)
    clocks = app.state.runtime.runner.database["retention_clocks"]
    await eventually(lambda: clocks.find_one({"_id": event.subject}))
    return RequestReceived.from_event(event)


async def test_the_answer_waits_for_a_decision_that_comes_meanwhile(
    retention_app: FastAPI, http: httpx.AsyncClient, producer: AIOKafkaProducer, clock: FixedClock
) -> None:
    """access decides the request is a customer's and intake applies it while the erasure's
    answer waits: the answer keeps it, on the customer-records ground."""
    received = await _received(retention_app, producer, clock)
    request_id, person = received.request_id, received.requester_id

    async def access_and_intake_decide() -> None:
        await asyncio.sleep(0.5)
        decided = organisation_decided(request_id, person, "org-a", at=received.received_at)
        await publish(producer, topics.ACCESS_MEMBERSHIPS, decided)
        changed = organisation_changed(request_id, person, "org-a", version=1, at=clock.now())
        await publish(producer, topics.SUPPORT_REQUESTS, changed)

    deciding = asyncio.create_task(access_and_intake_decide())
    answer = await http.post("/privacy/erasures", headers=STAFF, json={"data_subject_id": person})
    await deciding
    assert answer.status_code == 200, answer.text
    assert answer.json()["erased"] is True
    assert answer.json()["kept"] == [
        {"kind": "request", "id": request_id, "ground": "customer_records"}
    ]
    assert answer.json()["awaiting_organisation_decision"] == []
    bootstrap = retention_app.state.runtime.settings.kafka_bootstrap_servers
    [asked] = await eventually(lambda: erasure_requests(bootstrap, scope_id=person))
    assert asked.scope.keep_request_ids == (request_id,)


async def test_an_erasure_still_undecided_is_held_back_and_starts_once_decided(
    retention_app: FastAPI, http: httpx.AsyncClient, producer: AIOKafkaProducer, clock: FixedClock
) -> None:
    received = await _received(retention_app, producer, clock)
    request_id, person = received.request_id, received.requester_id
    answer = await http.post("/privacy/erasures", headers=STAFF, json={"data_subject_id": person})
    assert answer.json() == {
        "erasure_id": None,
        "erased": False,
        "kept": [],
        "awaiting_organisation_decision": [request_id],
    }
    status = await http.get("/retention/status", headers=STAFF)
    assert status.json()["erasures_held_back"] >= 1

    decided = organisation_decided(request_id, person, None, at=received.received_at)
    await publish(producer, topics.ACCESS_MEMBERSHIPS, decided)  # nobody's

    purges = retention_app.state.runtime.runner.database["purges"]
    started = await eventually(
        lambda: purges.find_one({"scope_kind": "person", "scope_id": person})
    )
    assert started["keep_request_ids"] == []
    held = retention_app.state.runtime.runner.database["held_erasures"]
    assert await held.find_one({"_id": person}) is None
