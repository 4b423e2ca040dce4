"""A steady mixed load with a ledger of what was acknowledged: web POSTs, mail to intake's SMTP
server, phone calls and CRM contract terminations on Kafka, and resolutions by support staff."""

from __future__ import annotations

import asyncio
import smtplib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Literal
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer

from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.channels import PhoneCallLogged
from shared.events.crm import ContractTerminated
from tests.reliability.rig import STAFF, Rig

Kind = Literal["web", "email", "phone", "crm", "resolution"]
SUBMISSIONS: tuple[Kind, ...] = ("web", "email", "phone")
RESOLVE_AFTER_SECONDS = 10.0


@dataclass
class Item:
    """One thing the load tried, and whether the system acknowledged it."""

    kind: Kind
    tag: str
    started: float
    finished: float = 0.0
    acked: bool = False
    request_id: str | None = None
    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def subject(self) -> str:
        return f"Reliability case {self.tag}"


@dataclass
class Ledger:
    items: list[Item] = field(default_factory=list)

    def new(self, kind: Kind) -> Item:
        tag = uuid4().hex[:12]
        digits = str(40_000_000 + int(uuid4().int % 9_999_999))
        item = Item(
            kind=kind,
            tag=tag,
            started=time.monotonic(),
            name=f"Kari Faultline {tag}",
            email=f"kari.{tag}@example.org",
            phone=f"+47{digits}",
        )
        self.items.append(item)
        return item

    def of(self, *kinds: Kind) -> list[Item]:
        return [item for item in self.items if item.kind in kinds]

    def in_flight(self, start: float, end: float) -> int:
        """Items whose request overlapped the window [start, end]."""
        return sum(
            1 for i in self.items if i.started <= end and (i.finished or time.monotonic()) >= start
        )

    def personal_data(self) -> list[str]:
        return [v for i in self.of(*SUBMISSIONS) for v in (i.name, i.email, i.phone, i.subject)]


@dataclass(frozen=True)
class Rates:
    """Seconds between two items of each kind."""

    web: float
    email: float
    phone: float
    crm: float
    resolution: float


class Load:
    """Runs one loop per kind until stopped; every outcome lands in the ledger."""

    def __init__(self, rig: Rig, *, rates: Rates) -> None:
        self.rig = rig
        self.rates = rates
        self.ledger = Ledger()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._to_resolve: asyncio.Queue[Item] = asyncio.Queue()
        self._http = httpx.AsyncClient(timeout=10)
        self._producer = AIOKafkaProducer(
            bootstrap_servers=rig.kafka_bootstrap, acks="all", request_timeout_ms=10_000
        )

    async def start(self) -> None:
        await self._producer.start()
        loops: list[tuple[float, Callable[[], Awaitable[None]]]] = [
            (self.rates.web, self._web),
            (self.rates.email, self._email),
            (self.rates.phone, self._phone),
            (self.rates.crm, self._crm),
            (self.rates.resolution, self._resolution),
        ]
        self._tasks = [asyncio.create_task(self._every(s, step)) for s, step in loops]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        await self._http.aclose()
        await self._producer.stop()

    async def _every(self, seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        while not self._stop.is_set():
            await step()
            await asyncio.sleep(seconds)

    def _to_resolve_head_age(self) -> float:
        head: Item = self._to_resolve._queue[0]  # type: ignore[attr-defined]
        return time.monotonic() - head.finished

    async def _web(self) -> None:
        item = self.ledger.new("web")
        try:
            answer = await self._http.post(
                self.rig.url("intake") + "/requests",
                json={
                    "full_name": item.name,
                    "email": item.email,
                    "phone": item.phone,
                    "subject": item.subject,
                    "body": f"The course page {item.tag} shows an error.",
                },
            )
            if answer.status_code == 202:
                item.acked, item.request_id = True, answer.json()["request_id"]
        except httpx.HTTPError:
            pass
        item.finished = time.monotonic()
        if item.acked:
            self._to_resolve.put_nowait(item)

    async def _email(self) -> None:
        item = self.ledger.new("email")
        message = EmailMessage()
        message["From"] = f"{item.name} <{item.email}>"
        message["To"] = "support@support.example"
        message["Subject"] = item.subject
        message["Message-ID"] = f"<{item.tag}@mail.example.org>"
        message.set_content(f"Since this morning page {item.tag} is empty.")

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", self.rig.smtp_port, timeout=15) as client:
                client.send_message(message)  # raises unless the server answered 250

        try:
            await asyncio.to_thread(send)
            item.acked = True
        except (smtplib.SMTPException, OSError):
            pass
        item.finished = time.monotonic()

    async def _phone(self) -> None:
        item = self.ledger.new("phone")
        now = datetime.now(UTC)
        call = PhoneCallLogged(
            call_id=item.tag,
            caller_number=item.phone,
            caller_name=item.name,
            caller_email=item.email,
            agent_id="agent-reliability",
            call_started_at=now - timedelta(minutes=3),
            call_ended_at=now,
            subject=item.subject,
            notes=f"Caller cannot open page {item.tag}.",
        )
        await self._publish(item, call, subject=item.tag)

    async def _crm(self) -> None:
        item = self.ledger.new("crm")
        now = datetime.now(UTC)
        terminated = ContractTerminated(
            organisation_id=f"org-{item.tag}",
            termination_date=(now - timedelta(days=400)).date(),
            terminated_at=now,
        )
        await self._publish(item, terminated, subject=f"org-{item.tag}")

    async def _publish(self, item: Item, data: EventData, *, subject: str) -> None:
        event = CloudEvent.of(
            source="/reliability",
            type=data.event_type,
            subject=subject,
            time=datetime.now(UTC),
            data=data,
        )
        try:
            async with asyncio.timeout(20):
                await self._producer.send_and_wait(
                    data.topic, event.to_bytes(), key=subject.encode()
                )
            item.acked = True  # committed: the broker acknowledged it (acks=all)
        except Exception:  # noqa: S110 (any failure means: not acknowledged)
            pass
        item.finished = time.monotonic()

    async def _resolution(self) -> None:
        """Resolve a web request some seconds after it was acknowledged, as staff would later."""
        if self._to_resolve.empty() or self._to_resolve_head_age() < RESOLVE_AFTER_SECONDS:
            return
        submitted = self._to_resolve.get_nowait()
        item = self.ledger.new("resolution")
        item.request_id, item.email, item.tag = submitted.request_id, submitted.email, submitted.tag
        try:
            answer = await self._http.post(
                f"{self.rig.url('intake')}/requests/{submitted.request_id}/status",
                headers=STAFF,
                json={"status": "resolved", "resolution": "solved"},
            )
            item.acked = answer.status_code == 200
        except httpx.HTTPError:
            pass
        item.finished = time.monotonic()
