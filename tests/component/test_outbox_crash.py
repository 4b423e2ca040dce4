"""A real SIGKILL between commit and publish, and between publish and marking sent: after a
restart the event reaches consumers, and takes effect exactly once."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import AsyncMongoClient

from deploy.local.ports import free_port
from deploy.local.services import ServiceProcess, service_environment
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running, skip_history_of
from tests.support.backbone import EFFECTS, counting_service
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic


async def _copies_on_topic(bootstrap: str, topic: str, event_id: str) -> int:
    """How many copies of one event (by its CloudEvent id) the topic holds."""
    records = await read_topic(bootstrap, topic)
    return sum(1 for r in records if r.value and f'"id":"{event_id}"'.encode() in r.value)


@pytest.mark.parametrize("crash_point", ["before_publish", "after_publish"])
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
        KAFKA_SESSION_TIMEOUT_MS=infrastructure.session_timeout_ms,
        INTAKE_SMTP_PORT=str(free_port()),
    )
    await skip_history_of("intake", env)  # its only outbox events are this test's
    port = free_port()
    doomed = ServiceProcess(
        "intake",
        port=port,
        env={**env, "CRASH_SERVICE": "intake", "CRASH_AT": crash_point},
        log_dir=tmp_path,
        module="tests.support.crashing",
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
        intake_db = client[f"{instance_prefix}intake"]
        stored = await intake_db["requests"].find_one({"subject": subject})
        assert stored is not None, "the request was committed before the crash"
        request_id = str(stored["_id"])
        # the relay was killed at its first pending event: before or after publishing it
        first = await intake_db["outbox"].find_one({"sent_at": None}, sort=[("_id", 1)])
        await client.close()
        assert first is not None, "nothing was marked sent"
        first_id, first_topic = str(first["event_id"]), str(first["topic"])
        copies = await _copies_on_topic(infrastructure.kafka_bootstrap, first_topic, first_id)
        assert copies == (0 if crash_point == "before_publish" else 1)

        restarted = ServiceProcess("intake", port=port, env=env, log_dir=tmp_path)
        restarted.start()
        try:

            async def effects() -> int:
                return await runtime.runner.database[EFFECTS].count_documents(
                    {"request_id": request_id}
                )

            await eventually(effects, timeout=60)
            expected_copies = 1 if crash_point == "before_publish" else 2

            async def published_again() -> bool:
                found = await _copies_on_topic(
                    infrastructure.kafka_bootstrap, first_topic, first_id
                )
                return found == expected_copies

            await eventually(published_again, timeout=60)
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
