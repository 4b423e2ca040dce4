"""Crypto-shredding against real Kafka and storage: a shredded subject's data is unreadable
in every copy Kafka still holds, and the scanner finds none of it in plaintext."""

from __future__ import annotations

import uuid

from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from deploy.local.groups import commit_at_end
from shared import topics
from shared.crypto import KeyWrapper, SealedPersonalData
from shared.keystore import MongoKeyStore
from shared.scanner import scan
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running
from tests.support.backbone import EFFECTS, counting_service, publish, request_received
from tests.support.infrastructure import Infrastructure


async def test_shredded_subject_reads_as_erased_on_reconsumption_and_leaves_no_plaintext(
    settings: ServiceSettings, producer: AIOKafkaProducer, infrastructure: Infrastructure
) -> None:
    name = f"Åse Shredded {uuid.uuid4().hex[:6]}"
    email = f"shred.{uuid.uuid4().hex[:8]}@example.org"
    subject = f"Private matter {uuid.uuid4().hex[:6]}"

    again_settings = settings.model_copy(
        update={
            "instance_prefix": settings.instance_prefix + "again_",
            "keystore_database": settings.keystore_database_name,
        }
    )
    # the fresh consumer's group starts where the topic ends now, before this test's event
    await commit_at_end(
        infrastructure.kafka_bootstrap,
        group_id=again_settings.consumer_group(topics.SUPPORT_REQUESTS),
        topic=topics.SUPPORT_REQUESTS,
    )
    first = counting_service(settings)
    runtime: ServiceRuntime = first.state.runtime
    async with running(first):
        event = await request_received(runtime.keys, full_name=name, email=email, subject=subject)
        await publish(producer, event)

        async def effect() -> dict[str, object] | None:
            return await runtime.runner.database[EFFECTS].find_one({"request_id": event.subject})

        seen = await eventually(effect)
        assert seen["subject"] == subject
        assert seen["email"] == email

        requester_id = SealedPersonalData.model_validate(event.data["content"]).data_subject_id
        assert await runtime.keys.shred(requester_id)
        assert runtime.metrics.shredded_keys._value.get() == 1
        assert await runtime.keys.existing_key(requester_id) is None

    # a consumer with fresh state (new group, new database) sharing the key store reads the
    # topic again and meets the event: its personal fields are simply gone
    fresh = counting_service(again_settings)
    fresh_runtime: ServiceRuntime = fresh.state.runtime
    async with running(fresh, from_now=False):

        async def reconsumed() -> dict[str, object] | None:
            return await fresh_runtime.runner.database[EFFECTS].find_one(
                {"request_id": event.subject}
            )

        again = await eventually(reconsumed, timeout=60)
        assert again["subject"] is None
        assert again["email"] is None

    report = await scan(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=None,
        values=[name, email, subject],
    )
    assert report.records_scanned > 0
    assert report.kafka_total == 0, report.as_dict()


async def test_the_scanner_finds_plaintext_where_it_is(
    producer: AIOKafkaProducer, infrastructure: Infrastructure, instance_prefix: str
) -> None:
    """The positive control: values written in clear, raw or JSON-escaped, are found."""
    name = f"Øystein Canary {uuid.uuid4().hex[:6]}"
    email = f"canary.{uuid.uuid4().hex[:8]}@example.org"
    topic = f"{instance_prefix}scanner.canary"
    await producer.send_and_wait(topic, f'{{"name": "{name}"}}'.encode(), key=b"k")
    await producer.send_and_wait(topic, b'{"name": "\\u00d8ystein"}', key=b"k")
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(infrastructure.mongodb_url)
    await client[f"{instance_prefix}canary"]["people"].insert_one({"email": email.upper()})
    await client.close()

    report = await scan(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        values=[name, email, "Øystein"],
    )
    assert report.kafka_hits[(topic, 0)] == 1
    assert report.kafka_hits[(topic, 2)] == 2  # raw UTF-8 and JSON-escaped
    assert report.mongodb_hits[(f"{instance_prefix}canary.people", 1)] == 1
    assert report.kafka_hits[(topic, 1)] == 0


async def test_shredding_many_subjects_deletes_exactly_their_keys(
    settings: ServiceSettings,
) -> None:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(settings.mongodb_url)
    shredded: list[int] = []
    keys = MongoKeyStore(
        client,
        database_name=settings.keystore_database_name,
        wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
        on_shred=lambda: shredded.append(1),
    )
    doomed = [f"doomed-{uuid.uuid4()}" for _ in range(300)]  # more than one chunk
    kept = f"kept-{uuid.uuid4()}"
    for subject in [*doomed, kept]:
        await keys.key_for(subject)
    never_had_one = f"none-{uuid.uuid4()}"
    try:
        assert await keys.shred_many([*doomed, doomed[0], never_had_one]) == len(doomed)
        assert len(shredded) == len(doomed)
        assert [await keys.existing_key(s) for s in doomed[:3]] == [None, None, None]
        assert await keys.existing_key(kept) is not None
        assert await keys.shred_many([]) == 0
    finally:
        await client.close()
