"""Hostile events on every topic each service consumes: each is dead-lettered with a reason, and the
consumer keeps going (a valid event published after them is processed)."""

from __future__ import annotations

import contextlib
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer

from shared.service import ServiceRuntime
from shared.topics import dead_letter_topic
from tests.hostile.conftest import Started
from tests.hostile.events import (
    MARKER_TYPE,
    can_never_be_processed,
    generated,
    hand_written,
    lying_content_types,
    marker,
    undecryptable,
)
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic
from tests.support.reliability import profile, record

GENERATED_PER_TOPIC = {"short": 6, "full": 60}


@pytest.mark.parametrize("service", ["intake", "access", "retention", "surveys"])
async def test_hostile_events_are_dead_lettered_and_the_consumer_keeps_going(
    service: str,
    start_service: Started,
    producer: AIOKafkaProducer,
    infrastructure: Infrastructure,
) -> None:
    async with start_service(service) as (app, _http):
        runtime: ServiceRuntime = app.state.runtime
        topics = sorted({topic for _group, topic in runtime.subscriptions})
        sent: dict[str, dict[bytes, str]] = {}  # topic -> record key -> what it was
        markers: dict[str, str] = {}
        for topic in topics:
            subject = f"hostile-{uuid4().hex[:8]}"
            await runtime.keys.key_for(subject)  # the key exists: the ciphertext is what is bad
            records = [
                *hand_written(topic),
                *undecryptable(topic, subject, service=service),
                *generated(topic, GENERATED_PER_TOPIC[profile()]),
            ]
            sent[topic] = {}
            for index, (what, value) in enumerate(records):
                if what.startswith("undecryptable") or can_never_be_processed(value):
                    key = f"hostile-{uuid4().hex}-{index}".encode()
                    sent[topic][key] = what
                    await producer.send_and_wait(topic, value, key=key)
            for what, value, headers in lying_content_types():
                key = f"hostile-{uuid4().hex}-ct".encode()
                sent[topic][key] = what
                await producer.send_and_wait(topic, value, key=key, headers=headers)
            event_id, valid = marker()
            markers[topic] = event_id
            await producer.send_and_wait(topic, valid, key=b"marker")

        async def all_dead_lettered() -> dict[str, list[str]]:
            missing: dict[str, list[str]] = {}
            for topic, keys in sent.items():
                letters = await read_topic(infrastructure.kafka_bootstrap, dead_letter_topic(topic))
                reasons = {
                    letter.key: dict(letter.headers).get("dlq-reason", b"")
                    for letter in letters
                    if letter.key in keys
                }
                gone = [what for key, what in keys.items() if not reasons.get(key)]
                if gone:
                    missing[topic] = gone
            return missing if missing else {}

        async def markers_processed() -> bool:
            consumed = runtime.metrics.events_consumed
            return all(
                consumed.labels(topic=topic, type=MARKER_TYPE)._value.get() >= 1
                for topic in markers
            )

        tried = sum(len(keys) for keys in sent.values())
        # the markers came last: once they are processed, the records before them mostly are too
        with contextlib.suppress(AssertionError):
            await eventually(markers_processed, timeout=60, interval=0.3)
        stopped = not await markers_processed()
        with contextlib.suppress(AssertionError):
            await eventually(_negated(all_dead_lettered), timeout=60, interval=1.0)
        missing = await all_dead_lettered()
        violations = sum(len(v) for v in missing.values()) + int(stopped)
        record(
            "bad_input",
            f"hostile events: {service}",
            tried=tried,
            survived=tried - violations,
            violations=violations,
            detail=f"{len(topics)} topics; each dead-lettered with a reason, consumer went on",
        )
        assert missing == {}
        assert not stopped, "a valid event after the hostile ones was not processed"


def _negated(probe):  # type: ignore[no-untyped-def]
    async def negated() -> bool:
        return not await probe()

    return negated
