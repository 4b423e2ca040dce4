"""P8 on real Kafka and storage with a controlled clock: a non-customer request's personal data
goes after 365 days without activity; every activity moves its deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.retention.purge_store import MongoPurges
from services.retention.scheduler import PurgeScheduler
from shared import topics
from shared.clock import FixedClock
from shared.events import CloudEvent
from shared.events.intake import RequestReceived, StatusChanged
from shared.service import ServiceRuntime
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.retention import (
    STAFF,
    erasure_requests,
    message_added,
    publish,
    request_received,
)


async def public_request(
    app: FastAPI, producer: AIOKafkaProducer, http: httpx.AsyncClient, received_at: datetime
) -> tuple[str, str]:
    runtime: ServiceRuntime = app.state.runtime
    event = await request_received(runtime.keys, received_at=received_at)
    await publish(producer, topics.SUPPORT_REQUESTS, event)

    async def seen() -> bool:
        response = await http.get(f"/retention/requests/{event.subject}", headers=STAFF)
        return response.status_code == 200

    await eventually(seen)
    return event.subject, RequestReceived.from_event(event).requester_id


async def clock_of(http: httpx.AsyncClient, request_id: str) -> dict[str, object]:
    response = await http.get(f"/retention/requests/{request_id}", headers=STAFF)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def purges_of(app: FastAPI, request_id: str) -> int:
    runtime: ServiceRuntime = app.state.runtime
    return await MongoPurges(runtime.runner.database).count({"scope_id": request_id})


async def test_a_public_request_idle_for_366_days_is_purged(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    request_id, _ = await public_request(
        retention_app, producer, http, clock.now() - timedelta(days=366)
    )
    [requested] = await eventually(
        lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=request_id)
    )
    assert requested.scope.kind == "request"
    assert requested.ground == "inactivity"


async def test_a_public_request_idle_for_364_days_is_kept(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    scheduler: PurgeScheduler = retention_app.state.scheduler
    received = clock.now() - timedelta(days=364)
    request_id, _ = await public_request(retention_app, producer, http, received)
    await scheduler.run_once()
    assert await purges_of(retention_app, request_id) == 0
    assert (await clock_of(http, request_id))["rule"] == "inactivity"


async def test_a_message_at_day_300_resets_the_clock_and_an_older_event_does_not_move_it_back(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    scheduler: PurgeScheduler = retention_app.state.scheduler
    received = clock.now() - timedelta(days=250)
    request_id, person = await public_request(retention_app, producer, http, received)

    clock.advance(timedelta(days=50))  # day 300: the requester writes again
    message = await message_added(
        runtime.keys, request_id=request_id, requester_id=person, added_at=clock.now()
    )
    await publish(producer, topics.SUPPORT_REQUESTS, message)
    await eventually(lambda: _consumed(runtime, message))
    due = received + timedelta(days=300 + 365)
    assert _at((await clock_of(http, request_id))["purge_due_at"]) == due

    older = StatusChanged(
        request_id=request_id,
        requester_id=person,
        channel="web",
        from_status="open",
        to_status="pending",
        changed_by_role="support_staff",
        changed_at=received + timedelta(days=100),
    )
    late_event = CloudEvent.of(
        source="/tests",
        type=older.event_type,
        subject=request_id,
        time=older.changed_at,
        data=older,
    )
    await publish(producer, topics.SUPPORT_REQUESTS, late_event)
    await eventually(lambda: _consumed(runtime, late_event))
    assert _at((await clock_of(http, request_id))["purge_due_at"]) == due

    clock.advance(timedelta(days=66))  # day 366 after receipt, day 66 after the message
    await scheduler.run_once()
    assert await purges_of(retention_app, request_id) == 0

    clock.advance(timedelta(days=300))  # day 366 after the message
    await eventually(lambda: purges_of(retention_app, request_id))


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


async def _consumed(runtime: ServiceRuntime, event: CloudEvent) -> bool:
    found = await runtime.runner.database["processed_events"].find_one({"_id": str(event.id)})
    return found is not None
