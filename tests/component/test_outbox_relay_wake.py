"""The relay's wakes: a deferred wake gathers the events of close commits into one round, a
commit notified while a round is running is relayed at once, not after the poll interval, and
a consumer wakes it only after commits that staged events."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import pytest
from prometheus_client import CollectorRegistry

from shared.clock import SystemClock
from shared.consumer import DeadLetter, EventConsumer, Readiness, Record
from shared.events import CloudEvent
from shared.events.access import RequestContentRead, RequestReadOn
from shared.events.intake import StatusChanged
from shared.metrics import BackboneMetrics
from shared.mongo import Transaction, TransactionRunner
from shared.outbox import OutboxRelay, add_to_outbox
from tests.support.backbone import status_changed

POLL_SECONDS = 30.0  # longer than any test: only wakes relay


@pytest.fixture
def runner(scratch_runner: TransactionRunner) -> TransactionRunner:
    return scratch_runner


def _event() -> CloudEvent:
    clock = SystemClock()
    audit_id = str(uuid4())
    data = RequestContentRead(
        audit_id=audit_id,
        reader_id="reader",
        reader_role="support_staff",
        read_at=clock.now(),
        requests=(RequestReadOn(request_id=str(uuid4()), ground="support_staff"),),
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=audit_id, time=clock.now(), data=data
    )


async def _stage(runner: TransactionRunner) -> None:
    async with runner.transaction() as tx:
        await add_to_outbox(tx, topic="tests.relay", event=_event())


async def test_a_deferred_wake_relays_close_commits_in_one_round(runner: TransactionRunner) -> None:
    batches: list[int] = []
    gate = asyncio.Event()

    async def publish(records: list[tuple[str, bytes, bytes]]) -> None:
        batches.append(len(records))
        gate.set()

    relay = OutboxRelay(
        runner=runner,
        publish_batch=publish,
        metrics=BackboneMetrics("tests", CollectorRegistry()),
        clock=SystemClock(),
        poll_seconds=POLL_SECONDS,
        max_backoff_seconds=1.0,
    )
    await relay.create_indexes()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.3)  # the first round found nothing and waits for a wake
        for _ in range(3):
            await _stage(runner)
            relay.notify_soon(0.5)
        assert batches == []  # deferred: nothing relayed yet
        await asyncio.wait_for(gate.wait(), timeout=10)
        assert batches == [3]  # one round for the three commits

        gate.clear()
        await _stage(runner)
        relay.notify()  # an immediate wake still relays at once
        await asyncio.wait_for(gate.wait(), timeout=5)
        assert batches == [3, 1]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_commit_notified_during_a_round_is_relayed_without_waiting_for_the_poll(
    runner: TransactionRunner,
) -> None:
    batches: list[int] = []
    first_round = asyncio.Event()
    release = asyncio.Event()
    second_round = asyncio.Event()

    async def publish(records: list[tuple[str, bytes, bytes]]) -> None:
        batches.append(len(records))
        if len(batches) == 1:
            first_round.set()
            await release.wait()  # a commit lands while this round is still running
        else:
            second_round.set()

    relay = OutboxRelay(
        runner=runner,
        publish_batch=publish,
        metrics=BackboneMetrics("tests", CollectorRegistry()),
        clock=SystemClock(),
        poll_seconds=POLL_SECONDS,
        max_backoff_seconds=1.0,
    )
    await relay.create_indexes()
    await _stage(runner)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(first_round.wait(), timeout=10)
        await _stage(runner)
        relay.notify()
        release.set()
        await asyncio.wait_for(second_round.wait(), timeout=5)  # not POLL_SECONDS
        assert batches == [1, 1]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def _consumer(runner: TransactionRunner, woken: list[str]) -> EventConsumer:
    """A consumer whose handler publishes for one event type and only writes for another."""

    async def publishes(event: CloudEvent, tx: Transaction) -> None:
        await add_to_outbox(tx, topic="tests.relay", event=_event())

    async def only_writes(event: CloudEvent, tx: Transaction) -> None:
        await tx.database["effects"].insert_one({"event": str(event.id)}, session=tx.session)

    async def no_dead_letters(letter: DeadLetter) -> None:
        raise AssertionError(letter.reason)

    return EventConsumer(
        topic="tests.relay",
        handlers={StatusChanged.event_type: publishes, RequestContentRead.event_type: only_writes},
        runner=runner,
        send_dead_letter=no_dead_letters,
        after_commit=lambda: woken.append("relay"),
        metrics=BackboneMetrics("tests", CollectorRegistry()),
        readiness=Readiness(),
        clock=SystemClock(),
        max_backoff_seconds=1.0,
    )


def _record(offset: int, *, publishing: bool) -> Record:
    """A record of an event whose handler publishes (a status change here) or only writes."""
    event = _event()
    if publishing:
        event = status_changed(str(uuid4()))
    return Record(topic="tests.relay", partition=0, offset=offset, key=b"k", value=event.to_bytes())


@pytest.mark.parametrize("batch", [False, True])
async def test_a_consumer_wakes_the_relay_only_after_a_commit_that_staged_events(
    runner: TransactionRunner, batch: bool
) -> None:
    """Most handlers publish nothing (a completion noted, a view updated): waking the relay
    after each of their commits cost a relay round, a read of the outbox, each time."""
    woken: list[str] = []
    consumer = _consumer(runner, woken)
    writes = [_record(n, publishing=False) for n in range(3)]
    if batch:
        await consumer.handle_batch(writes)
    else:
        await consumer.handle_each(writes)
    assert await runner.database["effects"].count_documents({}) == 3
    assert woken == []
    publishing = [_record(10, publishing=False), _record(11, publishing=True)]
    if batch:
        await consumer.handle_batch(publishing)
    else:
        await consumer.handle_each(publishing)
    assert woken == ["relay"]
    assert await runner.database["outbox"].count_documents({"sent_at": None}) == 1
