"""MongoDB stopped for some seconds under load, then started again: the service reports not
ready meanwhile, refuses web submissions clearly, loses nothing and recovers by itself."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.events import CloudEvent
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running
from tests.support.backbone import EFFECTS, counting_service, publish, request_received
from tests.support.infrastructure import Infrastructure

OUTAGE_SECONDS = 4  # four times the consumers' longest retry backoff (1 s here)


async def test_nothing_accepted_is_lost_across_a_mongodb_outage(
    settings: ServiceSettings,
    producer: AIOKafkaProducer,
    infrastructure: Infrastructure,
    instance_prefix: str,
) -> None:
    if infrastructure.mongo is None:
        pytest.fail("this test stops and starts MongoDB, so it needs the local SecantusDB")
    app = counting_service(settings)
    runtime: ServiceRuntime = app.state.runtime
    intake = create_intake(
        IntakeSettings(
            instance_prefix=instance_prefix,
            kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
            mongodb_url=infrastructure.mongodb_url,
            retry_max_backoff_seconds=1.0,
        )
    )
    published: list[CloudEvent] = []

    async def steady_load(stop: asyncio.Event) -> None:
        while not stop.is_set():
            event = await request_received(runtime.keys)
            await publish(producer, event)
            published.append(event)
            await asyncio.sleep(0.2)

    async with running(app) as client, running(intake) as web:
        stop = asyncio.Event()
        load = asyncio.create_task(steady_load(stop))
        await eventually(lambda: _count(runtime, published), timeout=30)

        infrastructure.mongo.stop()
        try:
            stop.set()  # new events need the key store, which lives in MongoDB too
            await load
            stop.clear()
            not_ready = await eventually(lambda: _not_ready(client), timeout=20)
            assert "mongodb unreachable" in not_ready["problems"]
            refused = await web.post(
                "/requests",
                json={
                    "full_name": "Out Age",
                    "email": "outage@example.org",
                    "subject": "during the outage",
                    "body": "x",
                },
            )
            assert refused.status_code == 503
            assert "nothing was accepted" in refused.json()["detail"]
            await asyncio.sleep(OUTAGE_SECONDS)
        finally:
            infrastructure.mongo.start()

        load = asyncio.create_task(steady_load(stop))
        await asyncio.sleep(2)
        stop.set()
        await load
        await eventually(lambda: _ready(client), timeout=60)
        expected = {event.subject for event in published}

        effects = runtime.runner.database[EFFECTS]
        ours = {"request_id": {"$in": sorted(expected)}}

        async def all_handled() -> bool:
            return len(await effects.distinct("request_id", ours)) == len(expected)

        await eventually(all_handled, timeout=90)
        assert await effects.count_documents(ours) == len(expected), "each took effect once"
        accepted = await web.post(
            "/requests",
            json={
                "full_name": "Back Again",
                "email": "back@example.org",
                "subject": "after the outage",
                "body": "x",
            },
        )
        assert accepted.status_code == 202


async def _count(runtime: ServiceRuntime, events: list[CloudEvent]) -> int:
    ids = [event.subject for event in events]
    return await runtime.runner.database[EFFECTS].count_documents({"request_id": {"$in": ids}})


async def _not_ready(client: httpx.AsyncClient) -> dict[str, list[str]] | None:
    response = await client.get("/readyz")
    return response.json() if response.status_code == 503 else None


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/readyz")).status_code == 200
