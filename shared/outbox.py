"""Transactional outbox: events are committed with the state change, then relayed to Kafka.

A crash between commit and publish loses nothing (the relay picks the event up after restart);
a crash between publish and marking it sent republishes the same CloudEvent `id`, which every
consumer's processed-event record turns into a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

from aiokafka.errors import (
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
)
from pymongo import ASCENDING

from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.events import CloudEvent
from shared.metrics import BackboneMetrics
from shared.mongo import Document, Transaction, TransactionRunner, is_transient

log = logging.getLogger(__name__)

OUTBOX = "outbox"
SENT_RETENTION = timedelta(days=7)

PublishBatch = Callable[[list[tuple[str, bytes, bytes]]], Awaitable[None]]
"""Publish (topic, key, value) records in order, returning once the broker acknowledged all."""


async def add_to_outbox(tx: Transaction, *, topic: str, event: CloudEvent) -> None:
    """Stage an event in the same transaction as the state change it announces."""
    await add_many_to_outbox(tx, topic=topic, events=[event])


async def add_many_to_outbox(tx: Transaction, *, topic: str, events: list[CloudEvent]) -> None:
    """Stage several events, in this order, with one round trip."""
    if not events:
        return
    await tx.database[OUTBOX].insert_many(
        outbox_documents(topic=topic, events=events), ordered=True, session=tx.session
    )
    tx.staged.append(len(events))


def outbox_documents(*, topic: str, events: list[CloudEvent]) -> list[Document]:
    """The outbox records of these events, for a caller that writes them itself (in the same
    transaction as its state change, e.g. in one bulk write with it)."""
    now = datetime.now(UTC)
    return [
        {
            "event_id": str(event.id),
            "topic": topic,
            "key": event.subject,
            "type": event.type,
            "payload": event.model_dump_json(),
            "created_at": now,
            "sent_at": None,
        }
        for event in events
    ]


RelayPoint = Literal["before_publish", "after_publish"]
RELAY_HOOKS: list[Callable[[RelayPoint], None]] = []
"""Called at each point of a relay round, in order; empty unless a test installs one (the crash
tests kill the process there: tests/support/crashing.py). No setting reaches it."""


def _reached(point: RelayPoint) -> None:
    for hook in RELAY_HOOKS:
        hook(point)


class OutboxRelay:
    """Publishes pending outbox events in commit order and marks them sent.

    A collection other than `outbox` can be relayed too, where each document is a record and
    the event announcing it at once (access's read audit): `order_by` is then the field that
    gives the order to publish in, and `expire_sent=False` keeps sent documents."""

    def __init__(
        self,
        *,
        runner: TransactionRunner,
        publish_batch: PublishBatch,
        metrics: BackboneMetrics,
        clock: Clock,
        poll_seconds: float,
        max_backoff_seconds: float,
        batch_size: int = 200,
        collection: str = OUTBOX,
        order_by: str = "_id",
        expire_sent: bool = True,
    ) -> None:
        self._outbox = runner.database[collection]
        self._order_by = order_by
        self._expire_sent = expire_sent
        self._backlog = metrics.outbox_backlog.labels(outbox=collection)
        self._lag = metrics.outbox_relay_lag.labels(outbox=collection)
        self._publish_batch = publish_batch
        self._metrics = metrics
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._soon: asyncio.TimerHandle | None = None

    async def create_indexes(self) -> None:
        await self._outbox.create_index([("sent_at", ASCENDING), (self._order_by, ASCENDING)])
        if self._expire_sent:
            await self._outbox.create_index(
                "sent_at", name="sent_ttl", expireAfterSeconds=int(SENT_RETENTION.total_seconds())
            )

    def notify(self) -> None:
        """Wake the relay at once (called after a transaction that staged events commits)."""
        self._wake.set()

    def notify_soon(self, delay: float) -> None:
        """Wake the relay `delay` seconds from now unless a wake is already due: the events of
        many commits close together (audited reads) then go out in one batch, one relay round
        instead of one per commit. They are durable in the outbox either way."""
        if self._soon is None:
            self._soon = asyncio.get_running_loop().call_later(delay, self._wake_now)

    def _wake_now(self) -> None:
        self._soon = None
        self._wake.set()

    async def run(self) -> None:
        """Relay forever; transient failures are retried with capped backoff."""
        backoff = 0.1
        while True:
            stop_if_cancelled()
            # Cleared before looking, so a commit notified while a batch is relayed is seen
            # by the next round at once rather than after the poll interval.
            self._wake.clear()
            try:
                published = await self.relay_pending()
                backoff = 0.1
            except Exception as error:
                if not is_transient(error) and not _is_kafka_transient(error):
                    log.exception("outbox relay failed", extra={"error": type(error).__name__})
                self._metrics.transient_failures.labels(operation="outbox_relay").inc()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if published < self._batch_size:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_seconds):
                        await self._wake.wait()

    async def relay_pending(self) -> int:
        """Publish one batch of pending events in order; return how many were published."""
        pending = await (
            self._outbox.find({"sent_at": None})
            .sort(self._order_by, ASCENDING)
            .limit(self._batch_size)
            .to_list()
        )
        await self._observe_backlog(pending)
        if not pending:
            return 0
        _reached("before_publish")
        # One batch: every send is handed to the producer before any acknowledgement is awaited
        # (the idempotent producer keeps them in order per partition), then one update marks
        # the whole batch sent: two round trips per batch instead of two per event.
        try:
            await self._publish_batch([_record(d) for d in pending])
        except UNDELIVERABLE:
            pending = await self._publish_one_by_one(pending)
        _reached("after_publish")
        await self._outbox.update_many(
            {"_id": {"$in": [d["_id"] for d in pending]}}, {"$set": {"sent_at": self._clock.now()}}
        )
        for document in pending:
            self._metrics.events_published.labels(
                topic=document["topic"], type=document["type"]
            ).inc()
        return len(pending)

    async def _publish_one_by_one(self, pending: list[Document]) -> list[Document]:
        """A batch with an event the broker can never take (too large): publish the events one
        at a time, in order, and set that one aside (marked `undeliverable`, counted, its type
        logged) so it does not hold up every event after it. The published ones are returned."""
        published: list[Document] = []
        for document in pending:
            try:
                await self._publish_batch([_record(document)])
            except UNDELIVERABLE as error:
                await self._set_aside(document, error)
                continue
            published.append(document)
        return published

    async def _set_aside(self, document: Document, error: Exception) -> None:
        reason = type(error).__name__
        await self._outbox.update_one(
            {"_id": document["_id"]},
            {"$set": {"sent_at": self._clock.now(), "undeliverable": reason}},
        )
        self._metrics.outbox_undeliverable.labels(
            outbox=self._outbox.name, type=document["type"]
        ).inc()
        log.error(
            "outbox event set aside: the broker cannot take it",
            extra={
                "event_type": document["type"],
                "event_id": document["event_id"],
                "error": reason,
            },
        )

    async def _observe_backlog(self, pending: list[Document]) -> None:
        """Backlog and lag; a batch shorter than the limit is the whole backlog (no count)."""
        backlog = len(pending)
        if backlog >= self._batch_size:
            backlog = await self._outbox.count_documents({"sent_at": None})
        self._backlog.set(backlog)
        lag = 0.0
        if pending:
            oldest = min(document["created_at"] for document in pending)
            lag = max(0.0, (self._clock.now() - oldest).total_seconds())
        self._lag.set(lag)


UNDELIVERABLE = (MessageSizeTooLargeError, RecordTooLargeError, RecordListTooLargeError)
"""What the broker will never take, however often it is tried: an event too large for it."""


def _record(document: Document) -> tuple[str, bytes, bytes]:
    return document["topic"], document["key"].encode(), document["payload"].encode()


def _is_kafka_transient(error: BaseException) -> bool:
    return isinstance(error, KafkaError | TimeoutError | OSError)
