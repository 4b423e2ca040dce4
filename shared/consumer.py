"""Idempotent, at-least-once consumption with retries and dead letters (DESIGN.md §5).

For each Kafka record: parse the CloudEvent; in one MongoDB transaction run the handler and
record its `id` as processed; commit the offset only afterwards. A redelivered event finds its
processed-event record and is skipped (one delivered twice at once: the second's transaction
fails on the record and is not committed). A record of a type the consumer does not act on is
only counted: there is nothing to record or to redo. Transient failures are retried with capped backoff while
the service reports not ready; input that can never succeed goes to `<topic>.dlq` with a reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta

from aiokafka.errors import KafkaError
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.crypto import HeldWrites, UndecryptableError
from shared.events import EVENT_TYPES, CloudEvent, EventSchemaError, data_model_for, parse_event
from shared.metrics import BackboneMetrics
from shared.mongo import Transaction, TransactionRunner, is_transient
from shared.write_behind import write_behind

log = logging.getLogger(__name__)

PROCESSED_EVENTS = "processed_events"
PROCESSED_RETENTION = timedelta(days=30)

EventHandler = Callable[[CloudEvent, Transaction], Awaitable[None]]
BatchPreparer = Callable[[list[CloudEvent], Transaction], Awaitable[None]]
"""Reads ahead, in a few queries, what a batch's handlers will look up one event at a time
(`shared.write_behind.prime`, `KeyStore.prime`)."""


@dataclass(frozen=True)
class Record:
    """The parts of a Kafka record the consumer needs."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


@dataclass(frozen=True)
class DeadLetter:
    """A record that can never be processed, with the reason (no personal data in it)."""

    record: Record
    reason: str
    error_type: str


class Readiness:
    """Whether the service can do its work right now; served on /readyz."""

    def __init__(self) -> None:
        self._failing: set[str] = set()

    def failing(self, what: str) -> None:
        self._failing.add(what)

    def recovered(self, what: str) -> None:
        self._failing.discard(what)

    @property
    def problems(self) -> frozenset[str]:
        return frozenset(self._failing)


class EventConsumer:
    """Handles one topic's records for one service."""

    def __init__(
        self,
        *,
        topic: str,
        handlers: Mapping[str, EventHandler],
        runner: TransactionRunner,
        send_dead_letter: Callable[[DeadLetter], Awaitable[None]],
        after_commit: Callable[[], None],
        metrics: BackboneMetrics,
        readiness: Readiness,
        clock: Clock,
        max_backoff_seconds: float,
        batch_scope: Callable[[HeldWrites], AbstractAsyncContextManager[object]] = nullcontext,
        prepare: BatchPreparer | None = None,
    ) -> None:
        self.topic = topic
        self._batch_scope = batch_scope
        self._prepare = prepare
        self._handlers = handlers
        self._runner = runner
        self._send_dead_letter = send_dead_letter
        self._after_commit = after_commit
        self._metrics = metrics
        self._readiness = readiness
        self._clock = clock
        self._max_backoff = max_backoff_seconds

    @property
    def handlers(self) -> Mapping[str, EventHandler]:
        """The handler of each event type this consumer acts on."""
        return self._handlers

    async def create_indexes(self) -> None:
        await self._runner.database[PROCESSED_EVENTS].create_index(
            [("processed_at", ASCENDING)],
            expireAfterSeconds=int(PROCESSED_RETENTION.total_seconds()),
        )

    async def handle(self, record: Record) -> None:
        """Process a record until its effect is durable or it is dead-lettered; never raises."""
        backoff = 0.1
        while True:
            stop_if_cancelled()
            try:
                await self._handle_once(record)
                self._readiness.recovered(f"consume:{self.topic}")
                return
            except (EventSchemaError, UndecryptableError) as error:
                reason = error.reason if isinstance(error, EventSchemaError) else str(error)
                await self._dead_letter(record, reason=reason, error=error)
                return
            except Exception as error:
                if not (is_transient(error) or isinstance(error, KafkaError | TimeoutError)):
                    log.exception("handler failed", extra={"topic": self.topic})
                    await self._dead_letter(
                        record, reason=f"handler error: {type(error).__name__}", error=error
                    )
                    return
                self._readiness.failing(f"consume:{self.topic}")
                self._metrics.transient_failures.labels(operation=f"consume:{self.topic}").inc()
                log.warning(
                    "transient failure, retrying",
                    extra={"topic": self.topic, "error": type(error).__name__, "backoff": backoff},
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)

    async def handle_each(self, records: Sequence[Record]) -> None:
        """Process fetched records in order, each in a transaction of its own (`handle`): the
        handlers may not share one, but the records still cost one fetch and one offset commit
        together. Never raises."""
        for record in records:
            await self.handle(record)

    async def handle_batch(self, records: Sequence[Record]) -> None:
        """Process fetched records in one transaction: one processed-events insert, the
        handlers' inserts held and sent per collection (shared/write_behind.py), one commit. If
        anything about the batch fails (bad input, a redelivery, a conflict, the store away), the
        transaction is aborted and the records are processed one by one with `handle`, where
        duplicates, retries and dead letters are decided per record. Never raises."""
        if len(records) > 1:
            try:
                await self._handle_batch_once(records)
                self._readiness.recovered(f"consume:{self.topic}")
                return
            except Exception as error:
                self._metrics.batch_fallbacks.labels(topic=self.topic).inc()
                log.info(
                    "batch failed, handling its events one at a time",
                    extra={
                        "topic": self.topic,
                        "records": len(records),
                        "error": type(error).__name__,
                    },
                )
        for record in records:
            await self.handle(record)

    async def _handle_batch_once(self, records: Sequence[Record]) -> None:
        events = [(record, _checked(record)) for record in records]
        # events of a type this service does not handle (a topic carries several) have
        # nothing to do, so nothing to record or redo, as in `_handle_once`
        handled = [(record, event) for record, event in events if event.type in self._handlers]
        started = time.perf_counter()
        if handled:
            async with self._runner.transaction() as tx:
                await tx.database[PROCESSED_EVENTS].insert_many(
                    [self._processed(record, event) for record, event in handled],
                    ordered=True,
                    session=tx.session,
                )
                batch, held = write_behind(tx)
                async with self._batch_scope(held):  # its new keys go with the held writes
                    if self._prepare is not None:
                        await self._prepare([event for _record, event in handled], batch)
                    for _record, event in handled:
                        await self._handlers[event.type](event, batch)
                await held.flush()
            if tx.staged:
                self._after_commit()
        share = (time.perf_counter() - started) / len(events)
        self._metrics.batch_records.labels(topic=self.topic).observe(len(events))
        for _record, event in events:
            self._metrics.handler_duration.labels(topic=self.topic).observe(share)
            self._metrics.events_consumed.labels(topic=self.topic, type=event.type).inc()

    async def _handle_once(self, record: Record) -> None:
        event = _checked(record)
        handler = self._handlers.get(event.type)
        if handler is None:  # nothing to do, so nothing to record or redo: no transaction
            self._metrics.events_consumed.labels(topic=self.topic, type=event.type).inc()
            return
        started = time.perf_counter()
        processed = self._runner.database[PROCESSED_EVENTS]
        if await processed.find_one({"_id": str(event.id)}, {"_id": 1}) is not None:
            self._metrics.redeliveries_skipped.labels(topic=self.topic).inc()
            return
        try:
            # the processed-event record is written last: a transaction reads a snapshot taken
            # at its first operation, and a handler that works outside it first (a large
            # erasure's deletes) must not hold one open meanwhile, or the store keeps every
            # version it deletes and each query of the same indexes steps over them
            async with self._runner.transaction() as tx:
                await handler(event, tx)
                await tx.database[PROCESSED_EVENTS].insert_one(
                    self._processed(record, event), session=tx.session
                )
        except DuplicateKeyError:
            self._metrics.redeliveries_skipped.labels(topic=self.topic).inc()
            return
        if tx.staged:  # the relay has something new only if the handler published
            self._after_commit()
        self._metrics.handler_duration.labels(topic=self.topic).observe(
            time.perf_counter() - started
        )
        self._metrics.events_consumed.labels(topic=self.topic, type=event.type).inc()

    def _processed(self, record: Record, event: CloudEvent) -> dict[str, object]:
        return {
            "_id": str(event.id),
            "topic": record.topic,
            "type": event.type,
            "processed_at": self._clock.now(),
        }

    async def _dead_letter(self, record: Record, *, reason: str, error: Exception) -> None:
        letter = DeadLetter(record=record, reason=reason, error_type=type(error).__name__)
        backoff = 0.1
        while True:
            stop_if_cancelled()
            try:
                await self._send_dead_letter(letter)
                break
            except (KafkaError, TimeoutError, OSError):
                self._metrics.transient_failures.labels(operation="dead_letter").inc()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        category = reason.split(":", 1)[0][:40]
        self._metrics.dead_letters.labels(topic=self.topic, reason=category).inc()
        log.warning(
            "dead-lettered",
            extra={
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "reason": reason,
            },
        )


def _checked(record: Record) -> CloudEvent:
    """The record's event, its type known and its data valid, before any effect."""
    event = parse_event(record.value)
    if event.type not in EVENT_TYPES:
        raise EventSchemaError(f"unknown event type: {event.type}")
    data_model_for(event.type).from_event(event)
    return event
