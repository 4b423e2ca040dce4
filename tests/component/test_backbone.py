"""The event backbone against real Kafka and real storage: redelivery, replay, dead letters."""

from __future__ import annotations

import json

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from deploy.local.groups import commit_at_end
from shared import topics
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running
from tests.support.backbone import EFFECTS, counting_service, publish, request_received
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic


def _runtime(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


async def _effects(app: FastAPI, request_id: str) -> int:
    return await _runtime(app).runner.database[EFFECTS].count_documents({"request_id": request_id})


async def _dead_letters(bootstrap: str, *, key: bytes) -> list[dict[str, str]]:
    records = await read_topic(bootstrap, topics.dead_letter_topic(topics.SUPPORT_REQUESTS))
    return [{k: v.decode() for k, v in r.headers} for r in records if r.key == key]


async def test_a_redelivered_event_takes_effect_once(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    app = counting_service(settings)
    async with running(app):
        event = await request_received(_runtime(app).keys)
        await publish(producer, event)
        await publish(producer, event)
        marker = await request_received(_runtime(app).keys)
        await publish(producer, marker)  # same topic, after both copies
        await eventually(lambda: _effects(app, marker.subject))
        await eventually(lambda: _effects(app, event.subject))
        assert await _effects(app, event.subject) == 1
        skipped = _runtime(app).metrics.redeliveries_skipped.labels(topic=topics.SUPPORT_REQUESTS)

        async def copy_skipped() -> bool:  # the marker may sit on another partition: wait
            return bool(skipped._value.get() >= 1)

        await eventually(copy_skipped)
        assert await _effects(app, event.subject) == 1


async def test_replaying_the_topic_from_before_its_events_changes_nothing(
    settings: ServiceSettings, producer: AIOKafkaProducer, infrastructure: Infrastructure
) -> None:
    """The service's consumer group is rewound to where the topic ended before this test's
    events (not to offset 0: the session's whole history would make the test measure its
    size), and the events are read again, and published again: each still has one effect."""
    group = settings.consumer_group(topics.SUPPORT_REQUESTS)
    start = await commit_at_end(
        infrastructure.kafka_bootstrap, group_id=group, topic=topics.SUPPORT_REQUESTS
    )
    app = counting_service(settings)
    async with running(app):
        events = [await request_received(_runtime(app).keys) for _ in range(5)]
        for event in events:
            await publish(producer, event)
        for event in events:
            await eventually(lambda event=event: _effects(app, event.subject))

    await commit_at_end(
        infrastructure.kafka_bootstrap, group_id=group, topic=topics.SUPPORT_REQUESTS, at=start
    )

    app = counting_service(settings)
    async with running(app, from_now=False):
        last = await request_received(_runtime(app).keys)
        for event in (*events, last):
            await publish(producer, event)
        await eventually(lambda: _effects(app, last.subject), timeout=120)
        skipped = _runtime(app).metrics.redeliveries_skipped.labels(topic=topics.SUPPORT_REQUESTS)

        async def both_copies_skipped() -> bool:  # other partitions may still be catching up
            return skipped._value.get() >= 2 * len(events)

        await eventually(both_copies_skipped, timeout=120)
        for event in events:  # read twice more (replayed and re-published): still one effect
            assert await _effects(app, event.subject) == 1
        assert await _effects(app, last.subject) == 1


async def test_a_poison_message_is_dead_lettered_and_the_next_one_processed(
    settings: ServiceSettings, producer: AIOKafkaProducer, infrastructure: Infrastructure
) -> None:
    app = counting_service(settings)
    async with running(app):
        good = await request_received(_runtime(app).keys)
        key = good.subject.encode()  # same key: same partition, right behind the poison
        poison = await producer.send_and_wait(topics.SUPPORT_REQUESTS, b"{not json", key=key)
        await publish(producer, good)
        await eventually(lambda: _effects(app, good.subject))

        letters = await eventually(
            lambda: _dead_letters(infrastructure.kafka_bootstrap, key=key), timeout=30
        )
        assert letters[0]["dlq-reason"] == "not JSON: JSONDecodeError"
        assert letters[0]["dlq-original-topic"] == topics.SUPPORT_REQUESTS
        assert letters[0]["dlq-original-partition"] == str(poison.partition)
        assert letters[0]["dlq-original-offset"] == str(poison.offset)
        counted = _runtime(app).metrics.dead_letters.labels(
            topic=topics.SUPPORT_REQUESTS, reason="not JSON"
        )
        assert counted._value.get() == 1


async def test_schema_violations_and_tampered_ciphertext_are_dead_lettered_with_a_reason(
    settings: ServiceSettings, producer: AIOKafkaProducer, infrastructure: Infrastructure
) -> None:
    app = counting_service(settings)
    async with running(app):
        keys = _runtime(app).keys
        missing_field = json.loads((await request_received(keys)).to_bytes())
        del missing_field["data"]["channel"]
        unknown_type = json.loads((await request_received(keys)).to_bytes())
        unknown_type["type"] = "support.request.teleported.v1"
        tampered = json.loads((await request_received(keys)).to_bytes())
        sealed = tampered["data"]["content"]
        sealed["ciphertext"] = sealed["ciphertext"][:-8] + "AAAAAAA="
        for document in (missing_field, unknown_type, tampered):
            await producer.send_and_wait(
                topics.SUPPORT_REQUESTS,
                json.dumps(document).encode(),
                key=document["subject"].encode(),
            )
        marker = await request_received(keys)
        await publish(producer, marker)
        await eventually(lambda: _effects(app, marker.subject))

        reasons = {}
        for document in (missing_field, unknown_type, tampered):
            letters = await eventually(
                lambda d=document: _dead_letters(
                    infrastructure.kafka_bootstrap, key=d["subject"].encode()
                )
            )
            reasons[document["subject"]] = letters[0]["dlq-reason"]
        assert reasons[missing_field["subject"]] == (
            "data of support.request.received.v1: channel: missing"
        )
        assert reasons[unknown_type["subject"]] == (
            "unknown event type: support.request.teleported.v1"
        )
        assert reasons[tampered["subject"]] == "sealed personal data does not open: InvalidTag"
        assert await _runtime(app).runner.database[EFFECTS].count_documents({}) >= 1
        for document in (missing_field, unknown_type, tampered):
            assert await _effects(app, document["subject"]) == 0
