"""A participant that does not complete in time is asked again and shows up in the alerting
metrics; an erasure past its deadline counts as overdue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared import topics
from shared.clock import FixedClock
from shared.service import ServiceRuntime
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.retention import STAFF, erasure_requests, publish, request_received


@pytest.fixture
def retention_extra() -> dict[str, Any]:
    return {"RETENTION_PARTICIPANT_LATE_SECONDS": 60, "RETENTION_ERASURE_DEADLINE_HOURS": 24}


async def test_late_participants_are_asked_again_and_alerted_on(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    event = await request_received(runtime.keys, received_at=clock.now() - timedelta(days=400))
    await publish(producer, topics.SUPPORT_REQUESTS, event)
    [first] = await eventually(
        lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=event.subject)
    )
    assert runtime.registry.get_sample_value("retention_erasure_participants_late") == 0

    clock.advance(timedelta(minutes=2))

    async def asked_again() -> bool:
        found = await erasure_requests(infrastructure.kafka_bootstrap, scope_id=event.subject)
        return len(found) >= 2

    await eventually(asked_again)
    again = await erasure_requests(infrastructure.kafka_bootstrap, scope_id=event.subject)
    assert {r.erasure_id for r in again} == {first.erasure_id}
    late = runtime.registry.get_sample_value("retention_erasure_participants_late")
    assert late is not None and late >= 3  # intake, access, surveys never answered
    assert (runtime.registry.get_sample_value("retention_erasure_requests_retried_total") or 0) >= 1

    progress = (await http.get(f"/privacy/erasures/{first.erasure_id}", headers=STAFF)).json()
    assert {"intake", "access", "surveys"} <= set(progress["missing"])

    clock.advance(timedelta(hours=25))

    async def overdue() -> bool:
        value = runtime.registry.get_sample_value("retention_items_overdue")
        return value is not None and value >= 1

    await eventually(overdue)
