"""The four services as real processes on the session's Kafka and store, behind the same face
as `MemorySystem` (tests/support/memory.py), so one policy specification runs on both layers:
`publish` as an outside producer, `http(name)`, `database(name)`, `settle()`, `plaintext(...)`.

`settle()` waits until nothing moves: every outbox relayed, every consumer group at the end of
its topics, no purge between asked and certified, and all of that twice in a row. The clock is
the wall clock (`clock.now()`); a specification that moves time runs in memory only.
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import time
from collections.abc import AsyncIterator, Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from deploy.local.groups import topic_partitions
from deploy.local.services import SERVICES, ServiceProcess
from services.catalogue import CATALOGUE
from shared import topics
from shared.clock import SystemClock
from shared.events import CloudEvent
from shared.scanner import scan
from tests.support.apps import _environment
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import left_on_first_answer, read_events
from tests.support.system import STAFF_TOKEN, four_services

STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
OUTBOXES = {"outbox": {"sent_at": None}, "read_audit": {"sent_at": None}}
RUNNING = {"state": {"$nin": ["certified"]}}


class RealSystem:
    def __init__(self, infrastructure: Infrastructure, *, prefix: str, log_dir: Path) -> None:
        self.clock = SystemClock()
        self._infrastructure = infrastructure
        self._prefix = prefix
        self._log_dir = log_dir
        self._processes: dict[str, ServiceProcess] = {}
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._subscriptions: list[tuple[str, str]] = []
        self._pending: list[tuple[str, CloudEvent]] = []
        self._start: dict[str, dict[int, int]] = {}
        self._partitions: dict[str, list[Any]] = {}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[RealSystem]:
        env = {
            "RETENTION_SCHEDULER_SECONDS": "0.2",
            "RETENTION_PARTICIPANT_LATE_SECONDS": "3",
            "SURVEYS_SAMPLE_RATE": "1.0",  # as in memory: every registered person is asked
            # an erasure asked as a request is filed answers once access's decision is in
            "RETENTION_ORGANISATION_DECISION_WAIT_SECONDS": "20",
        }
        async with contextlib.AsyncExitStack() as stack:
            self._processes = await stack.enter_async_context(
                four_services(
                    self._infrastructure,
                    instance_prefix=self._prefix,
                    log_dir=self._log_dir,
                    **env,
                )
            )
            for name, process in self._processes.items():
                self._clients[name] = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=process.url, timeout=15)
                )
            self._subscriptions = self._consumer_groups(self._processes["intake"].env)
            self._start = await self._ends(topics.ALL)
            self._mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
                self._infrastructure.mongodb_url, tz_aware=True
            )
            stack.push_async_callback(self._mongo.close)
            self._producer = AIOKafkaProducer(
                bootstrap_servers=self._infrastructure.kafka_bootstrap, acks="all"
            )
            await self._producer.start()
            stack.push_async_callback(self._producer.stop)
            bootstrap = self._infrastructure.kafka_bootstrap
            self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
            await self._admin.start()
            stack.push_async_callback(self._admin.close)
            self._ends_of = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
            await self._ends_of.start()
            stack.push_async_callback(self._ends_of.stop)
            yield self
            await self._nothing_left_on_first_answer()

    async def _nothing_left_on_first_answer(self) -> None:
        """After a passing specification: no erasure participant counted something left after
        its own deletes. Retention would ask it again once it is late (600 s by default, 3 s
        here), which would let such a bug pass unseen (a membership deleted in the handler's
        transaction but counted outside it did, once)."""
        left = await left_on_first_answer(
            self._infrastructure.kafka_bootstrap, since=self._start.get(topics.PRIVACY_ERASURE, {})
        )
        assert not left, f"erasure participants answered with something left: {left}"

    def publish(self, topic: str, event: CloudEvent) -> None:
        """Put an event on a topic as an outside producer would (sent by the next `settle`)."""
        self._pending.append((topic, event))

    async def events(self, topic: str) -> list[CloudEvent]:
        """Every valid event put on a topic since this system started (not other tests')."""
        bootstrap = self._infrastructure.kafka_bootstrap
        return await read_events(bootstrap, topic, since=self._start.get(topic, {}))

    async def send_mail(self, message: EmailMessage) -> None:
        """Send a mail through intake's SMTP server (smtplib, in a thread: it blocks)."""
        port = int(self._processes["intake"].env["INTAKE_SMTP_PORT"])

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
                client.send_message(message)

        await asyncio.to_thread(send)

    def http(self, name: str) -> httpx.AsyncClient:
        return self._clients[name]

    def database(self, name: str) -> Any:
        return self._mongo[f"{self._prefix}{name}"]

    async def settle(self, *, timeout: float = 90.0) -> None:
        """Send what was published, then wait until nothing moves (twice in a row)."""
        pending, self._pending = self._pending, []
        for topic, event in pending:
            await self._producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())
        deadline, quiet = time.monotonic() + timeout, 0
        while quiet < 2:
            if time.monotonic() > deadline:
                raise AssertionError(f"the services did not settle in {timeout:.0f} s")
            await asyncio.sleep(0.2)
            quiet = quiet + 1 if await self._quiet() else 0

    async def plaintext(self, values: Iterable[str]) -> dict[str, int]:
        """Where the values are readable, as MemorySystem.plaintext says it: service.collection
        (the instance prefix left out) or topic, and hits."""
        report = await scan(
            kafka_bootstrap=self._infrastructure.kafka_bootstrap,
            mongodb_url=self._infrastructure.mongodb_url,
            values=list(values),
        )
        found: dict[str, int] = {}
        for (topic, _), count in [*report.kafka_hits.items(), *report.ingress_hits.items()]:
            found[topic] = found.get(topic, 0) + count
        for (place, _), count in report.mongodb_hits.items():
            if place.startswith(self._prefix):  # this system's databases, not other tests'
                name = place.removeprefix(self._prefix)
                found[name] = found.get(name, 0) + count
        return found

    async def _ends(self, names: Iterable[str]) -> dict[str, dict[int, int]]:
        """Where each topic ends now: {topic: {partition: offset}}."""
        bootstrap = self._infrastructure.kafka_bootstrap
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await consumer.start()
        try:
            ends: dict[str, dict[int, int]] = {}
            for name in names:
                partitions = await topic_partitions(bootstrap, name)
                found = await consumer.end_offsets(partitions) if partitions else {}
                ends[name] = {tp.partition: offset for tp, offset in found.items()}
            return ends
        finally:
            await consumer.stop()

    async def _quiet(self) -> bool:
        for name in SERVICES:
            database = self.database(name)
            for collection, query in OUTBOXES.items():
                if await database[collection].count_documents(query, limit=1):
                    return False
        if await self.database("retention")["purges"].count_documents(RUNNING, limit=1):
            return False
        return await self._lag() == 0

    async def _lag(self) -> int:
        lag = 0
        for group, topic in self._subscriptions:
            committed = await self._admin.list_consumer_group_offsets(group)
            partitions = self._partitions.get(topic)
            if partitions is None:
                partitions = self._partitions[topic] = await topic_partitions(
                    self._infrastructure.kafka_bootstrap, topic
                )
            for tp, end in (await self._ends_of.end_offsets(partitions)).items():
                done = committed.get(tp)
                lag += end - (done.offset if done is not None and done.offset >= 0 else 0)
        return lag

    @staticmethod
    def _consumer_groups(env: dict[str, str]) -> list[tuple[str, str]]:
        """(group, topic) of every service's consumers, read off its app (never started)."""
        found: list[tuple[str, str]] = []
        for name in SERVICES:
            service = CATALOGUE[name]
            with _environment(env):
                settings = service.settings()
            found.extend(service.create_app(settings).state.runtime.subscriptions)
        return found
