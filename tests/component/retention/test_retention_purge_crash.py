"""retention SIGKILLed in the middle of purging a large organisation (a real process, a real
kill): after a restart the purge completes, nothing is purged twice and nothing is left."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from deploy.local.services import ServiceProcess, service_environment
from deploy.local.stack import free_port
from shared import topics
from shared.crypto import KeyWrapper
from shared.keystore import MongoKeyStore
from shared.settings import ServiceSettings
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.retention import (
    STAFF,
    complete_as,
    contract_terminated,
    erasure_completions,
    erasure_requests,
    publish,
    request_received,
    skip_history,
)

REQUESTS = 2000
PERSONS = 20
BATCH = 200


async def test_a_purge_killed_midway_completes_after_restart_exactly_once(
    infrastructure: Infrastructure,
    instance_prefix: str,
    producer: AIOKafkaProducer,
    tmp_path: Path,
) -> None:
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infrastructure.mongodb_url)
    clocks = mongo[f"{instance_prefix}retention"]["retention_clocks"]
    keys = MongoKeyStore(
        mongo,
        database_name=f"{instance_prefix}keystore",
        wrapper=KeyWrapper.from_base64(ServiceSettings().key_encryption_key.get_secret_value()),
    )
    env = service_environment(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        INSTANCE_PREFIX=instance_prefix,
        OUTBOX_POLL_SECONDS="0.2",
        RETENTION_SCHEDULER_SECONDS="0.2",
        RETENTION_PURGE_BATCH_SIZE=str(BATCH),
    )
    port = free_port()
    doomed = ServiceProcess(
        "retention",
        port=port,
        env={**env, "RETENTION_FAULT_INJECTION": "crash_mid_purge"},
        log_dir=tmp_path,
    )
    organisation = f"org-large-{uuid4().hex[:8]}"
    persons = [str(uuid4()) for _ in range(PERSONS)]
    received_at = datetime.now(UTC) - timedelta(days=900)
    try:
        await skip_history(
            infrastructure.kafka_bootstrap, group_prefix=f"{instance_prefix}retention"
        )
        doomed.start(timeout=90)
        for index in range(REQUESTS):
            event = await request_received(
                keys,
                received_at=received_at,
                organisation_id=organisation,
                requester_id=persons[index % PERSONS],
            )
            await producer.send(
                topics.SUPPORT_REQUESTS, event.to_bytes(), key=event.subject.encode()
            )
        await producer.flush()

        async def all_clocks() -> bool:
            return await clocks.count_documents({"organisation_id": organisation}) == REQUESTS

        await eventually(all_clocks, timeout=240, interval=1.0)
        terminated = contract_terminated(
            organisation,
            termination_date=(datetime.now(UTC) - timedelta(days=400)).date(),
            terminated_at=datetime.now(UTC),
        )
        await publish(producer, topics.CRM_CONTRACTS, terminated)
        await eventually(lambda: _dead(doomed), timeout=60)
        assert doomed.process is not None and doomed.process.returncode == -9  # SIGKILL
    finally:
        doomed.stop()

    left = await clocks.count_documents({"organisation_id": organisation})
    assert 0 < left < REQUESTS, "killed after some batches and before the last"
    [requested] = await erasure_requests(infrastructure.kafka_bootstrap, scope_id=organisation)

    restarted = ServiceProcess("retention", port=port, env=env, log_dir=tmp_path)
    try:
        restarted.start(timeout=90)
        [own] = await eventually(
            lambda: erasure_completions(
                infrastructure.kafka_bootstrap, erasure_id=requested.erasure_id
            ),
            timeout=120,
        )
        assert own.participant == "retention"
        assert own.counts == {"retention_clocks": REQUESTS}  # each deleted once, none left
        assert sorted(own.data_subject_ids) == sorted(persons)
        assert await clocks.count_documents({"organisation_id": organisation}) == 0

        for participant in ("intake", "access", "surveys"):
            await complete_as(
                producer,
                participant=participant,
                erasure_id=requested.erasure_id,
                at=datetime.now(UTC),
                data_subject_ids=tuple(persons),
            )
        async with httpx.AsyncClient(timeout=10) as http:

            async def certified() -> dict[str, object] | None:
                response = await http.get(
                    f"{restarted.url}/privacy/certificates/{requested.erasure_id}", headers=STAFF
                )
                return dict(response.json()) if response.status_code == 200 else None

            certificate = await eventually(certified, timeout=60)
        assert certificate["keys_shredded"] == PERSONS
        assert all([await keys.existing_key(p) is None for p in persons])
        await asyncio.sleep(1.0)  # a second request for the same scope would show up by now
        assert (
            len(await erasure_requests(infrastructure.kafka_bootstrap, scope_id=organisation)) == 1
        )
        assert (
            len(
                await erasure_completions(
                    infrastructure.kafka_bootstrap, erasure_id=requested.erasure_id
                )
            )
            == 4
        )
    finally:
        restarted.stop()
        await mongo.close()


async def _dead(process: ServiceProcess) -> bool:
    return not process.alive()
