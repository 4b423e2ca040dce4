"""A batch consumer's wait for records comes from CONSUMER_BATCH_WAIT_MS (FastStream's own
default, 200 ms and as long again after an empty poll, added up to 0.4 s to every hop of an
event through an idle system)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from faststream.kafka import KafkaBroker

from services.catalogue import CATALOGUE
from shared import topics
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


def _waits_by_topic() -> dict[str, set[int]]:
    """Every service's consumers as the service builds them (nothing connects): topic → waits."""
    waits: dict[str, set[int]] = {}
    for service in CATALOGUE.values():
        runtime = service.create_app().state.runtime
        for subscriber in runtime.broker.subscribers:
            (topic,) = [t.name for t in subscriber.topics]
            waits.setdefault(topic, set()).add(subscriber._connection_args["fetch_max_wait_ms"])
    return waits


def test_the_erasure_topics_consumers_fetch_with_the_shorter_wait_in_every_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KAFKA_FETCH_MAX_WAIT_MS_BY_TOPIC: an erasure crosses privacy.erasure twice for every
    participant, so its consumers (each participant's, and retention's completions) wait
    100 ms by default; every other topic's consumers keep the general wait."""
    monkeypatch.delenv("KAFKA_FETCH_MAX_WAIT_MS", raising=False)
    monkeypatch.delenv("KAFKA_FETCH_MAX_WAIT_MS_BY_TOPIC", raising=False)
    waits = _waits_by_topic()
    assert waits.pop(topics.PRIVACY_ERASURE) == {100}
    assert topics.SUPPORT_REQUESTS in waits
    assert set().union(*waits.values()) == {500}


def test_the_map_from_the_environment_replaces_the_default_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_FETCH_MAX_WAIT_MS", "400")
    monkeypatch.setenv("KAFKA_FETCH_MAX_WAIT_MS_BY_TOPIC", '{"support.requests": 250}')
    waits = _waits_by_topic()
    assert waits.pop(topics.SUPPORT_REQUESTS) == {250}
    assert waits[topics.PRIVACY_ERASURE] == {400}  # no longer in the map: the general wait
    assert set().union(*waits.values()) == {400}


@pytest.mark.parametrize("value", ['{"privacy.erasure": 5}', '{"privacy.erasure": "soon"}', "100"])
def test_a_wait_out_of_range_or_not_a_map_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("KAFKA_FETCH_MAX_WAIT_MS_BY_TOPIC", value)
    with pytest.raises(ValueError, match="kafka_fetch_max_wait_ms_by_topic"):
        ServiceSettings()
