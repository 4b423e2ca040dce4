"""The runtime every service shares: broker, store, key store, outbox relay, consumers, health.

`create_app` of each service builds one of these, registers its handlers and HTTP routes, and
hands `lifespan` to FastAPI. Nothing here connects before the app starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from pymongo import AsyncMongoClient

from shared.clock import Clock, SystemClock
from shared.consumer import BatchPreparer, DeadLetter, EventConsumer, EventHandler, Readiness
from shared.crypto import KeyWrapper
from shared.health import health_router
from shared.kafka import (
    KafkaPublisher,
    configure_topics,
    create_broker,
    ensure_topics,
    subscribe,
)
from shared.keystore import MongoKeyStore
from shared.metrics import BackboneMetrics
from shared.mongo import Document, TransactionRunner, create_mongo_client
from shared.outbox import OutboxRelay
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)

StartupStep = Callable[[], Awaitable[None]]
SHUTDOWN_STEP_SECONDS = 10.0


class Publisher(Protocol):
    """Where a service's records go: Kafka (KafkaPublisher), or memory in fast tests."""

    async def publish_batch(self, records: list[tuple[str, bytes, bytes]]) -> None: ...
    async def send_dead_letter(self, letter: DeadLetter) -> None: ...


@dataclass(frozen=True)
class Backbone:
    """The store client and publisher a runtime uses instead of those its settings name: the
    in-memory ones of the fast test layer (tests/support/memory.py). Without one, a service
    runs on the MongoDB and Kafka of its settings."""

    mongo: AsyncMongoClient[Document]
    publisher: Publisher


class ServiceRuntime:
    """Wiring shared by the four services."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        clock: Clock | None = None,
        backbone: Backbone | None = None,
    ) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.registry = CollectorRegistry()
        self.metrics = BackboneMetrics(settings.service_name, self.registry)
        self.broker = create_broker(settings, self.registry)
        self.mongo = backbone.mongo if backbone else create_mongo_client(settings)
        self.runner = TransactionRunner(self.mongo, settings.database_name)
        self.keys = MongoKeyStore(
            self.mongo,
            database_name=settings.keystore_database_name,
            wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
            on_shred=self.metrics.shredded_keys.inc,
        )
        self.publisher: Publisher = (
            backbone.publisher
            if backbone
            else KafkaPublisher(self.broker, service=settings.service_name)
        )
        self.readiness = Readiness()
        self.consumers: list[EventConsumer] = []
        self.relays: list[OutboxRelay] = []
        self.relay = self._relay()
        self._topics: set[str] = set()
        self._produced: set[str] = set()
        self._topic_configs: dict[str, dict[str, str]] = {}
        self._subscriptions: list[tuple[str, str]] = []
        self._startup_steps: list[StartupStep] = [self.relay.create_indexes]
        self._tasks: list[asyncio.Task[Any]] = []
        self._background: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self.started = False

    def consume(
        self,
        topic: str,
        handlers: Mapping[str, EventHandler],
        *,
        batch: bool = False,
        prepare: BatchPreparer | None = None,
        group: str = "",
    ) -> None:
        """Consume a topic in this service's consumer group, idempotently, with a DLQ. `batch`:
        the handlers may share a transaction (nothing they do outside it changes what a repeat
        would do; shared/write_behind.py), so up to CONSUMER_BATCH_SIZE fetched records share
        one, after `prepare` read ahead what they look up; else one transaction each. `group`
        names a second group on the topic, whose handlers never wait behind the first's."""
        consumer = EventConsumer(
            topic=topic,
            handlers=handlers,
            runner=self.runner,
            send_dead_letter=self.publisher.send_dead_letter,
            after_commit=self.relay.notify,
            metrics=self.metrics,
            readiness=self.readiness,
            clock=self.clock,
            max_backoff_seconds=self.settings.retry_max_backoff_seconds,
            batch_scope=self.keys.batch,
            prepare=prepare,
        )
        self.consumers.append(consumer)
        self._topics.update({topic, dead_letter_topic(topic)})
        self._produced.add(dead_letter_topic(topic))
        self._startup_steps.append(consumer.create_indexes)
        group_id = self.settings.consumer_group(topic) + (f".{group}" if group else "")
        self._subscriptions.append((group_id, topic))
        subscribe(
            self.broker,
            consumer,
            group_id=group_id,
            workers=self.settings.consumer_workers,
            batch_size=self.settings.consumer_batch_size,
            shared_transaction=batch,
            batch_wait_ms=self.settings.consumer_batch_wait_ms,
            session_timeout_ms=self.settings.kafka_session_timeout_ms,
            fetch_max_wait_ms=self.settings.fetch_max_wait_ms(topic),
        )

    def handler(self, topic: str, event_type: str) -> EventHandler:
        """The handler this service runs for `event_type` on `topic`."""
        for consumer in self.consumers:
            if consumer.topic == topic and event_type in consumer.handlers:
                return consumer.handlers[event_type]
        raise LookupError(f"{self.settings.service_name} does not handle {event_type} on {topic}")

    def _relay(self, **kept_records: Any) -> OutboxRelay:
        relay = OutboxRelay(
            runner=self.runner,
            publish_batch=self.publisher.publish_batch,
            metrics=self.metrics,
            clock=self.clock,
            poll_seconds=self.settings.outbox_poll_seconds,
            max_backoff_seconds=self.settings.retry_max_backoff_seconds,
            **kept_records,
        )
        self.relays.append(relay)
        return relay

    def relay_records(self, collection: str, *, order_by: str) -> OutboxRelay:
        """Also relay `collection`, whose documents are each a kept record and the event that
        announces it (shared.outbox.OutboxRelay); indexed and started with the service."""
        relay = self._relay(collection=collection, order_by=order_by, expire_sent=False)
        self._startup_steps.append(relay.create_indexes)
        self.background(relay.run, name=f"{collection}-relay")
        return relay

    def produces(self, *topics: str) -> None:
        self._topics.update(topics)
        self._produced.update(topics)

    def keep_briefly(self, topic: str, *, hours: int) -> None:
        """Keep `topic`'s records, and its dead letters, only `hours` (an ingress topic carrying
        clear text); set on every start, so a changed setting applies."""
        for name in (topic, dead_letter_topic(topic)):
            self._topics.add(name)
            self._topic_configs[name] = {"retention.ms": str(hours * 3_600_000)}

    @property
    def topics(self) -> frozenset[str]:
        """Every topic this service consumes or produces (dead-letter topics included)."""
        return frozenset(self._topics)

    @property
    def subscriptions(self) -> tuple[tuple[str, str], ...]:
        """(consumer group, topic) of every topic this service consumes."""
        return tuple(self._subscriptions)

    @property
    def produced_topics(self) -> frozenset[str]:
        """The topics this service writes: what it declared, and its dead-letter topics."""
        return frozenset(self._produced)

    def background(self, task: Callable[[], Awaitable[None]], *, name: str) -> None:
        """Run a long-lived task (a scheduler, a dispatcher) once the service has started; it is
        cancelled at shutdown. It must retry its own transient failures."""
        self._background.append((name, task))

    def on_startup(self, step: StartupStep) -> None:
        """Run a step (index creation, say) once the store answers, before consuming starts."""
        self._startup_steps.append(step)

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: FastAPI) -> AsyncIterator[None]:
        """Start in the background (retrying until Kafka and MongoDB answer); stop cleanly."""
        self._tasks.append(asyncio.create_task(self._start(), name="start"))
        try:
            yield
        finally:
            await self._stop()

    async def _stop(self) -> None:
        """Stop within bounded time: a task or client that will not stop is logged, not waited on
        forever (an orchestrator's grace period is finite too)."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            _done, stuck = await asyncio.wait(self._tasks, timeout=SHUTDOWN_STEP_SECONDS)
            for task in stuck:
                log.warning(
                    "task %s did not stop in time", task.get_name(), extra={"task": task.get_name()}
                )
        for name, stop in (("kafka", self.broker.stop), ("mongodb", self.mongo.close)):
            try:
                async with asyncio.timeout(SHUTDOWN_STEP_SECONDS):
                    await stop()
            except TimeoutError:
                log.warning("client did not stop in time", extra={"client": name})

    async def _start(self) -> None:
        backoff = 0.2
        while True:
            try:
                await ensure_topics(
                    self.settings.kafka_bootstrap_servers,
                    self._topics,
                    partitions=self.settings.kafka_partitions,
                )
                await configure_topics(self.settings.kafka_bootstrap_servers, self._topic_configs)
                await self.prepare_storage()
                await self.broker.start()
                break
            except Exception as error:
                self.readiness.failing("startup")
                log.warning("start-up waiting for infrastructure", extra={"error": repr(error)})
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.retry_max_backoff_seconds)
        self.readiness.recovered("startup")
        self._tasks.append(asyncio.create_task(self.relay.run(), name="outbox-relay"))
        for name, task in self._background:
            self._tasks.append(asyncio.create_task(_coroutine(task), name=name))
        self.started = True
        log.info("service started", extra={"topics": sorted(self._topics)})

    async def prepare_storage(self) -> None:
        """Run the start-up steps (indexes, seeds) against the store."""
        for step in self._startup_steps:
            await step()

    async def problems(self) -> list[str]:
        """Why the service is not ready, or an empty list."""
        found = sorted(self.readiness.problems)
        if not self.started:
            found.append("not started")
        elif not await self.broker.ping(timeout=2.0):
            found.append("kafka unreachable")
        if not await self.runner.ping():
            found.append("mongodb unreachable")
        self.metrics.ready.set(0 if found else 1)
        return found

    def health_router(self) -> APIRouter:
        """`/healthz` (alive), `/readyz` (Kafka and MongoDB reachable) and `/metrics`."""
        return health_router(self)


async def _coroutine(task: Callable[[], Awaitable[None]]) -> None:
    await task()
