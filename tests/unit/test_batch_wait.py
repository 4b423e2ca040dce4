"""A batch consumer's wait for records comes from CONSUMER_BATCH_WAIT_MS (FastStream's own
default, 200 ms and as long again after an empty poll, added up to 0.4 s to every hop of an
event through an idle system)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from faststream.kafka import KafkaBroker

from shared.kafka import subscribe
from shared.settings import ServiceSettings


class NoRecords:
    """A consumer of one topic that is never fed (the subscriber is only built)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic

    async def handle(self, record: object) -> None: ...

    async def handle_batch(self, records: list[object]) -> None: ...

    async def handle_each(self, records: list[object]) -> None: ...


def _batch_waits(wait_ms: int) -> list[int]:
    broker = KafkaBroker("127.0.0.1:1")  # never connected: only the subscriber is built
    subscribe(
        broker, cast(Any, NoRecords("topic.a")), group_id="g", batch_size=100, batch_wait_ms=wait_ms
    )
    subscribe(
        broker, cast(Any, NoRecords("topic.b")), group_id="g", batch_size=1, batch_wait_ms=wait_ms
    )
    return [s.batch_timeout_ms for s in broker.subscribers if hasattr(s, "batch_timeout_ms")]


def test_the_batch_subscriber_waits_as_long_as_the_setting_says() -> None:
    assert _batch_waits(50) == [50]  # one batch subscriber; the other handles one at a time
    assert _batch_waits(7) == [7]


def test_the_setting_defaults_to_50_ms_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ServiceSettings.model_fields["consumer_batch_wait_ms"].default == 50
    monkeypatch.setenv("CONSUMER_BATCH_WAIT_MS", "120")
    assert ServiceSettings().consumer_batch_wait_ms == 120


def _fetch_waits(wait_ms: int) -> list[int]:
    broker = KafkaBroker("127.0.0.1:1")
    for topic, batch_size in (("topic.a", 100), ("topic.b", 1)):
        subscribe(
            broker,
            cast(Any, NoRecords(topic)),
            group_id="g",
            batch_size=batch_size,
            fetch_max_wait_ms=wait_ms,
        )
    return [s._connection_args["fetch_max_wait_ms"] for s in broker.subscribers]


def test_every_consumer_fetches_with_the_wait_the_setting_says(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KAFKA_FETCH_MAX_WAIT_MS: under load, up to this is added to the way of records behind a
    busy consumer's fetch (settings.py says how); every consumer, batch or not, takes it."""
    assert _fetch_waits(100) == [100, 100]
    assert _fetch_waits(250) == [250, 250]
    assert ServiceSettings.model_fields["kafka_fetch_max_wait_ms"].default == 500
    monkeypatch.setenv("KAFKA_FETCH_MAX_WAIT_MS", "300")
    assert ServiceSettings().kafka_fetch_max_wait_ms == 300
