"""A real SIGKILL between commit and publish, and between publish and marking sent: after a
restart the event reaches consumers, and takes effect exactly once."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from deploy.local.services import ServiceProcess, service_environment
from deploy.local.stack import free_port
from shared import topics
from shared.events import parse_event
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running
from tests.support.backbone import EFFECTS, counting_service
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic


async def _copies_on_topic(bootstrap: str, request_id: str) -> list[str]:
    """The CloudEvent ids of every copy of the request's events in Kafka."""
    records = await read_topic(bootstrap, topics.SUPPORT_REQUESTS)
    return [str(parse_event(r.value or b"").id) for r in records if r.key == request_id.encode()]


@pytest.mark.parametrize("crash_point", ["crash_before_publish", "crash_after_publish"])
async def test_a_killed_relay_publishes_after_restart_and_consumers_act_once(
    crash_point: str,
    infrastructure: Infrastructure,
    instance_prefix: str,
    settings: ServiceSettings,
    tmp_path: Path,
) -> None:
    env = service_environment(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        INSTANCE_PREFIX=instance_prefix,
        OUTBOX_POLL_SECONDS="0.2",
    )
    port = free_port()
    doomed = ServiceProcess(
        "intake", port=port, env={**env, "FAULT_INJECTION": crash_point}, log_dir=tmp_path
    )
    subject = f"crash test {uuid.uuid4().hex}"
    consumer_app = counting_service(settings)
    runtime: ServiceRuntime = consumer_app.state.runtime
    async with running(consumer_app):
        doomed.start()
        async with httpx.AsyncClient(timeout=10) as http:
            # killed before the answer went out, perhaps; the commit is what matters
            with contextlib.suppress(httpx.TransportError):
                await http.post(
                    f"{doomed.url}/requests",
                    json={
                        "full_name": "Crash Test",
                        "email": "crash@example.org",
                        "subject": subject,
                        "body": "x",
                    },
                )
        await eventually(lambda: _dead(doomed), timeout=30)
        assert doomed.process is not None and doomed.process.returncode == -9  # SIGKILL

        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infrastructure.mongodb_url)
        stored = await client[f"{instance_prefix}intake"]["requests"].find_one({"subject": subject})
        await client.close()
        assert stored is not None, "the request was committed before the crash"
        request_id = str(stored["_id"])

        copies = await _copies_on_topic(infrastructure.kafka_bootstrap, request_id)
        assert len(copies) == (0 if crash_point == "crash_before_publish" else 1)

        restarted = ServiceProcess("intake", port=port, env=env, log_dir=tmp_path)
        restarted.start()
        try:

            async def effects() -> int:
                return await runtime.runner.database[EFFECTS].count_documents(
                    {"request_id": request_id}
                )

            await eventually(effects, timeout=60)
            copies = await eventually(
                lambda: _copies_at_least(infrastructure.kafka_bootstrap, request_id, 1)
            )
            expected_copies = 1 if crash_point == "crash_before_publish" else 2
            copies = await eventually(
                lambda: _copies_at_least(
                    infrastructure.kafka_bootstrap, request_id, expected_copies
                )
            )
            assert len(set(copies)) == 1, "every copy carries the same CloudEvent id"
            marker_subject = f"marker {uuid.uuid4().hex}"
            async with httpx.AsyncClient(timeout=10) as http:
                marker = await http.post(
                    f"{restarted.url}/requests",
                    json={
                        "full_name": "Marker",
                        "email": "marker@example.org",
                        "subject": marker_subject,
                        "body": "x",
                    },
                )
            marker_id = marker.json()["request_id"]
            await eventually(
                lambda: runtime.runner.database[EFFECTS].count_documents({"request_id": marker_id})
            )
            assert await effects() == 1
        finally:
            restarted.stop()


async def _dead(process: ServiceProcess) -> bool:
    return not process.alive()


async def _copies_at_least(bootstrap: str, request_id: str, count: int) -> list[str] | None:
    copies = await _copies_on_topic(bootstrap, request_id)
    return copies if len(copies) >= count else None
