"""The four services in memory: the fast test layer (`make unit`).

Each service is built by its own `create_app`, so its real handlers, repositories, outbox, relay,
consumers (idempotency and dead letters included) and HTTP routes run; only the backbone is
swapped (`shared.service.Backbone`): an in-memory MongoDB (tests/support/memory_store.py) and
an in-memory bus. `settle()` relays every outbox to the bus and hands each record to every
consumer of its topic, in order, until nothing moves: what Kafka and the relays do in the
running system, minus time and faults (the real-infrastructure layer's part).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from types import SimpleNamespace

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.catalogue import CATALOGUE
from services.intake.metrics import IntakeMetrics
from services.intake.smtp import MailReceiver
from shared.clock import FixedClock
from shared.consumer import DeadLetter, EventConsumer, Record
from shared.events import CloudEvent, parse_event
from shared.service import Backbone, ServiceRuntime
from tests.support.apps import _environment
from tests.support.memory_store import MemoryDatabase, MemoryMongo
from tests.support.system import STAFF_TOKEN

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}


@dataclass
class MemoryBus:
    """Topics as lists of records, read by each consumer from its own offset."""

    topics: dict[str, list[Record]] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def append(self, topic: str, key: bytes | None, value: bytes) -> None:
        log = self.topics.setdefault(topic, [])
        log.append(Record(topic=topic, partition=0, offset=len(log), key=key, value=value))

    def events(self, topic: str) -> list[CloudEvent]:
        return [parse_event(record.value) for record in self.topics.get(topic, [])]


class MemoryPublisher:
    """A service's publisher onto the bus (the relay's and the dead letters' way out)."""

    def __init__(self, bus: MemoryBus) -> None:
        self._bus = bus

    async def publish_batch(self, records: list[tuple[str, bytes, bytes]]) -> None:
        for topic, key, value in records:
            self._bus.append(topic, key, value)

    async def send_dead_letter(self, letter: DeadLetter) -> None:
        self._bus.dead_letters.append(letter)
        self._bus.append(f"{letter.record.topic}.dlq", letter.record.key, letter.record.value)


@dataclass
class MemoryService:
    name: str
    app: FastAPI
    http: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime


class MemorySystem:
    """intake, access, retention and surveys wired to one in-memory store and bus."""

    def __init__(self, *, now: datetime, **environment: str) -> None:
        self.clock = FixedClock(now)
        self.store = MemoryMongo()
        self.bus = MemoryBus()
        self.services: dict[str, MemoryService] = {}
        self._environment = {
            "STAFF_TOKEN": STAFF_TOKEN,
            "INSTANCE_PREFIX": "m_",
            "SURVEYS_SAMPLE_RATE": "1.0",
            "RETENTION_ORGANISATION_DECISION_WAIT_SECONDS": "0",  # settle() moves the bus
            **environment,
        }
        self._offsets: dict[tuple[str, int], int] = {}
        self._held: dict[tuple[str, str | None], str | None] = {}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[MemorySystem]:
        async with contextlib.AsyncExitStack() as stack:
            for name, service in CATALOGUE.items():
                with _environment(self._environment):
                    settings = service.settings()
                backbone = Backbone(mongo=self.store, publisher=MemoryPublisher(self.bus))  # type: ignore[arg-type]
                app = service.create_app(settings, clock=self.clock, backbone=backbone)
                http = await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=app), base_url=f"http://{name}"
                    )
                )
                self.services[name] = MemoryService(name, app, http)
                await app.state.runtime.prepare_storage()
            yield self

    async def events(self, topic: str) -> list[CloudEvent]:
        """Every event on a topic so far."""
        return self.bus.events(topic)

    def publish(self, topic: str, event: CloudEvent) -> None:
        """Put an event on a topic as an outside producer (CRM, telephony, legal) would."""
        self.bus.append(topic, event.subject.encode(), event.to_bytes())

    async def send_mail(self, message: EmailMessage) -> None:
        """Hand a mail to intake's SMTP handler as its server does once the message is in
        (the SMTP conversation itself runs on the real layer)."""

        async def publish(topic: str, key: bytes, value: bytes) -> None:
            self.bus.append(topic, key, value)

        receiver = MailReceiver(
            publish=publish,
            keys=self.services["intake"].runtime.keys,
            clock=self.clock,
            metrics=IntakeMetrics(CollectorRegistry()),
            max_message_bytes=10_000_000,
        )
        envelope = SimpleNamespace(
            original_content=message.as_bytes(),
            content=None,
            mail_from=message["From"],
            rcpt_tos=[message["To"]],
        )
        answer = await receiver.handle_DATA(None, None, envelope)
        assert answer.startswith("250"), answer

    def http(self, name: str) -> httpx.AsyncClient:
        return self.services[name].http

    def database(self, name: str) -> MemoryDatabase:
        return self.store[self.services[name].runtime.settings.database_name]

    async def settle(self, *, rounds: int = 100) -> None:
        """Relay every outbox and deliver every record until nothing moves (retention's
        scheduler included: its purges are part of what moves)."""
        for _ in range(rounds):
            await self.services["retention"].app.state.scheduler.run_once()
            moved = await self.services["intake"].app.state.erasures_awaiting_decisions.run_once()
            for service in self.services.values():
                for relay in service.runtime.relays:
                    moved += await relay.relay_pending()
            for name, service in self.services.items():
                for consumer in service.runtime.consumers:
                    moved += await self._deliver(name, consumer)
            if not moved:
                return
        raise AssertionError(f"the system did not settle in {rounds} rounds")

    @contextlib.contextmanager
    def holding(
        self, topic: str, *, by: str | None = None, from_type: str | None = None
    ) -> Iterator[None]:
        """No consumer (or only none of service `by`) reads `topic` meanwhile (with `from_type`:
        from the first record of that event type on): its records wait, as behind a consumer
        that lags (each topic is consumed at its own pace, by each service's group); `settle`
        delivers them afterwards."""
        self._held[(topic, by)] = from_type
        try:
            yield
        finally:
            self._held.pop((topic, by), None)

    async def _deliver(self, service: str, consumer: EventConsumer) -> int:
        held = [(consumer.topic, None), (consumer.topic, service)]
        if any(key in self._held and self._held[key] is None for key in held):
            return 0
        stop_at = {self._held[key] for key in held if key in self._held}
        log = self.bus.topics.get(consumer.topic, [])
        start = position = self._offsets.get((consumer.topic, id(consumer)), 0)
        for record in log[start:]:
            if stop_at and record.value and json.loads(record.value).get("type") in stop_at:
                break
            await consumer.handle(record)
            position += 1
        self._offsets[(consumer.topic, id(consumer))] = position
        return position - start

    async def plaintext(self, values: Iterable[str]) -> dict[str, int]:
        """Where any of `values` is stored or published readable: {place: hits}, places being
        `service.collection` or a topic, as the scanner (shared/scanner.py) finds them in the
        real stores and topics."""
        needles = [value.casefold() for value in values]
        found: dict[str, int] = {}

        def look(place: str, text: str) -> None:
            folded = text.casefold()
            hits = sum(1 for needle in needles if needle in folded)
            if hits:
                found[place] = found.get(place, 0) + hits

        prefix = self._environment["INSTANCE_PREFIX"]
        for database, collection, document in self.store.documents():
            text = json.dumps(document, default=str, ensure_ascii=False)
            look(f"{database.removeprefix(prefix)}.{collection}", text)
        for topic, records in self.bus.topics.items():
            for record in records:
                look(topic, record.value.decode(errors="replace"))
        return found
