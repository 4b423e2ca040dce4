"""Batch consumption against real Kafka and real storage: many events per transaction, and a
batch that cannot commit as a whole redone one event at a time with the usual guarantees."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared import topics
from shared.events import CloudEvent
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually, running, skip_history
from tests.support.backbone import EFFECTS, counting_service, request_received, status_changed

EVENTS = 120


def _runtime(app: FastAPI) -> ServiceRuntime:
    runtime: ServiceRuntime = app.state.runtime
    return runtime


async def _queued(producer: AIOKafkaProducer, records: list[tuple[bytes, bytes]]) -> None:
    """Put records on the topic at once (one key: one partition, in this order)."""
    sent = [await producer.send(topics.SUPPORT_REQUESTS, value, key=key) for key, value in records]
    await asyncio.gather(*sent)


async def _backlog_app(
    settings: ServiceSettings, producer: AIOKafkaProducer, records: list[tuple[bytes, bytes]]
) -> FastAPI:
    """A batch-consuming service whose group starts just before `records`, published before it
    runs, so that it fetches them many at a time."""
    app = counting_service(settings, batch=True)
    await skip_history(_runtime(app))
    await _queued(producer, records)
    return app


async def _effect_counts(app: FastAPI, events: list[CloudEvent]) -> list[int]:
    effects = _runtime(app).runner.database[EFFECTS]
    return [await effects.count_documents({"request_id": e.subject}) for e in events]


def _batches(app: FastAPI) -> tuple[float, float]:
    """(batches committed, events in them) of the requests topic."""
    histogram = _runtime(app).metrics.batch_records.labels(topic=topics.SUPPORT_REQUESTS)
    samples = {s.name.rsplit("_", 1)[-1]: s.value for s in next(iter(histogram.collect())).samples}
    return samples["count"], samples["sum"]


async def test_a_backlog_is_committed_many_events_per_transaction_each_taking_effect_once(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    probe = counting_service(settings)
    events = [await request_received(_runtime(probe).keys) for _ in range(EVENTS)]
    app = await _backlog_app(settings, producer, [(b"one-key", e.to_bytes()) for e in events])
    async with running(app, from_now=False):
        await eventually(lambda: _all_once(app, events), timeout=60)
        batches, batched = _batches(app)
        fallbacks = _runtime(app).metrics.batch_fallbacks.labels(topic=topics.SUPPORT_REQUESTS)
        assert fallbacks._value.get() == 0
        assert batched == EVENTS  # every event went through a batch transaction ...
        assert batches < EVENTS / 4  # ... shared with many others
        order = _runtime(app).runner.database[EFFECTS].find({}, sort=[("_id", 1)])
        stored = [d["request_id"] async for d in order]
        assert stored == [e.subject for e in events]  # one partition: in publication order


async def _all_once(app: FastAPI, events: list[CloudEvent]) -> bool:
    return await _effect_counts(app, events) == [1] * len(events)


async def test_a_poison_record_in_a_batch_is_dead_lettered_and_the_rest_take_effect_once(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    probe = counting_service(settings)
    events = [await request_received(_runtime(probe).keys) for _ in range(20)]
    records = [(b"one-key", e.to_bytes()) for e in events]
    records.insert(10, (b"one-key", b"{not json"))
    records.insert(15, (b"one-key", events[3].to_bytes()))  # a redelivery in the same batch
    app = await _backlog_app(settings, producer, records)
    async with running(app, from_now=False):
        await eventually(lambda: _all_once(app, events), timeout=60)
        metrics = _runtime(app).metrics
        letters = metrics.dead_letters.labels(topic=topics.SUPPORT_REQUESTS, reason="not JSON")
        await eventually(lambda: _async(letters._value.get() == 1))
        assert metrics.batch_fallbacks.labels(topic=topics.SUPPORT_REQUESTS)._value.get() >= 1
        skipped = metrics.redeliveries_skipped.labels(topic=topics.SUPPORT_REQUESTS)
        assert skipped._value.get() == 1
        assert await _effect_counts(app, events) == [1] * len(events)


async def _async(value: bool) -> bool:
    return value


async def test_events_of_a_type_the_service_does_not_handle_leave_nothing_behind(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    """A topic carries several event types: the ones a service ignores cost it no transaction
    and no processed-event record (surveys now reads access.memberships for one type in two)."""
    probe = counting_service(settings)
    handled = [await request_received(_runtime(probe).keys) for _ in range(10)]
    ignored = [status_changed(str(uuid4())) for _ in range(30)]
    records = [(b"one-key", e.to_bytes()) for e in [*ignored[:20], *handled, *ignored[20:]]]
    app = await _backlog_app(settings, producer, records)
    async with running(app, from_now=False):
        await eventually(lambda: _all_once(app, handled), timeout=60)
        consumed = _runtime(app).metrics.events_consumed
        ignored_type = consumed.labels(topic=topics.SUPPORT_REQUESTS, type=ignored[0].type)
        await eventually(lambda: _async(ignored_type._value.get() == len(ignored)))
        processed = _runtime(app).runner.database["processed_events"]
        assert await processed.count_documents({}) == len(handled)


async def test_a_consumer_whose_handlers_cannot_share_a_transaction_still_fetches_many_at_once(
    settings: ServiceSettings, producer: AIOKafkaProducer
) -> None:
    """Handlers that may not share a transaction (a participant's erasure deletes outside its
    own) get one each, but the records fetched together are one delivery and one offset commit:
    a backlog costs far fewer of them than records (each cost a commit round trip before), and
    a poison record among them is dead-lettered without holding up the rest."""
    probe = counting_service(settings)
    events = [await request_received(_runtime(probe).keys) for _ in range(40)]
    records = [(b"one-key", e.to_bytes()) for e in events]
    records.insert(20, (b"one-key", b"{not json"))
    app = counting_service(settings)  # not batch
    await skip_history(_runtime(app))
    await _queued(producer, records)
    async with running(app, from_now=False):
        await eventually(lambda: _all_once(app, events), timeout=60)
        runtime = _runtime(app)
        letters = runtime.metrics.dead_letters.labels(
            topic=topics.SUPPORT_REQUESTS, reason="not JSON"
        )
        await eventually(lambda: _async(letters._value.get() == 1))
        assert _batches(app) == (0, 0)  # no transaction shared between events ...
        handled = runtime.metrics.handler_duration.labels(topic=topics.SUPPORT_REQUESTS)
        assert _count(handled) == len(events)  # ... one each
        deliveries = runtime.registry.get_sample_value(
            "faststream_received_processed_messages_duration_seconds_count",
            {
                "app_name": settings.service_name,
                "broker": "kafka",
                "handler": topics.SUPPORT_REQUESTS,
            },
        )
        assert deliveries is not None and deliveries < len(records) / 4


def _count(histogram: object) -> float:
    collected = next(iter(histogram.collect()))  # type: ignore[attr-defined]
    return next(s.value for s in collected.samples if s.name.endswith("_count"))
