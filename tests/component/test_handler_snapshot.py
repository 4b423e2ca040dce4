"""A handler's transaction on the real store begins at its first operation in it, not before
the handler runs: work a handler does outside it first (a large erasure's deletes) holds no
snapshot open meanwhile. An open snapshot makes the store keep every version deleted after it,
and each query of the same indexes steps over them (an organisation purge's people lookups took
8 s per 250 people so, against 0.05 s)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from shared.clock import SystemClock
from shared.consumer import (
    PROCESSED_EVENTS,
    DeadLetter,
    EventConsumer,
    EventHandler,
    Readiness,
    Record,
)
from shared.events import CloudEvent
from shared.metrics import BackboneMetrics
from shared.mongo import Transaction, TransactionRunner
from tests.support import producers


async def consumer_of_a_hold(
    runner: TransactionRunner, handler: EventHandler | None
) -> tuple[EventConsumer, CloudEvent, Record]:
    """A consumer of the legal-hold topic (`handler` for placed holds) and a placed hold."""

    async def dead_letter(letter: DeadLetter) -> None:
        raise AssertionError(letter.reason)

    topic, event = producers.hold_placed("organisation", "org-snapshot", at=datetime.now(UTC))
    consumer = EventConsumer(
        topic=topic,
        handlers={event.type: handler} if handler else {},
        runner=runner,
        send_dead_letter=dead_letter,
        after_commit=lambda: None,
        metrics=BackboneMetrics("snapshot", CollectorRegistry()),
        readiness=Readiness(),
        clock=SystemClock(),
        max_backoff_seconds=0.5,
    )
    await consumer.create_indexes()
    record = Record(topic=topic, partition=0, offset=0, key=None, value=event.to_bytes())
    return consumer, event, record


async def test_a_handler_reads_what_it_wrote_outside_its_transaction_and_runs_once(
    scratch_runner: TransactionRunner,
) -> None:
    runner = scratch_runner
    notes = runner.database["notes"]
    await notes.insert_one({"_id": "note", "version": 1})
    seen: list[int] = []

    async def handler(event: CloudEvent, tx: Transaction) -> None:
        await notes.update_one({"_id": "note"}, {"$set": {"version": 2}})  # outside it
        found = await tx.database["notes"].find_one({"_id": "note"}, session=tx.session)
        assert found is not None
        seen.append(found["version"])

    consumer, event, record = await consumer_of_a_hold(runner, handler)
    await consumer.handle(record)
    assert seen == [2]  # a snapshot taken before the handler ran would show version 1
    await consumer.handle(record)  # redelivered: skipped before the handler
    assert seen == [2]
    assert await runner.database[PROCESSED_EVENTS].count_documents({"_id": str(event.id)}) == 1


async def test_an_event_this_service_does_not_act_on_costs_no_transaction(
    scratch_runner: TransactionRunner,
) -> None:
    runner = scratch_runner
    """Topics carry event types some consumers ignore (every participant sees the others'
    erasure completions): such a record is counted and passed, not recorded as processed."""
    consumer, event, record = await consumer_of_a_hold(runner, None)
    await consumer.handle(record)
    assert await runner.database[PROCESSED_EVENTS].count_documents({"_id": str(event.id)}) == 0
    consumed = consumer._metrics.events_consumed.labels(topic=record.topic, type=event.type)
    assert consumed._value.get() == 1
