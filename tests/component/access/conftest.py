"""Fixtures for access against real Kafka, real storage and a real SMTP sink."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.access.app import create_app
from services.access.settings import AccessSettings
from shared.clock import FixedClock
from shared.crypto import seal
from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.crm import ContactUpserted, ContractSigned, OrderFormContact
from shared.events.intake import ContactDetails, ContactRegistered, RequestContent, RequestReceived
from shared.mongo import Document
from shared.service import ServiceRuntime
from shared.tokens import KeyRing, issue_token
from tests.support.apps import eventually, running
from tests.support.infrastructure import Infrastructure
from tests.support.smtp import SmtpSink

STAFF_TOKEN = "component-staff-token"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
ADMIN_EMAIL = "admin@support.example"
ADMIN_PASSWORD = "admin-password-long-enough"
PASSWORD = "a-long-enough-password"
LINK = re.compile(r"token=([A-Za-z0-9_\-]+)")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def requester_token(access: Access, contact_id: str) -> str:
    """A requester's token for the contact, as access's login would issue it."""
    keys = KeyRing.parse(access.runtime.settings.token_signing_keys.get_secret_value())
    return issue_token(
        contact_id, "requester", keys=keys, now=datetime.now(UTC), lifetime=timedelta(hours=1)
    )


@dataclass
class Access:
    """One running access instance, its clock, and ways to feed it events."""

    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock
    producer: AIOKafkaProducer
    sink: SmtpSink

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def publish(self, data: EventData, *, subject: str, time: datetime | None = None) -> None:
        event = CloudEvent.of(
            source="/tests",
            type=data.event_type,
            subject=subject,
            time=time or self.clock.now(),
            data=data,
        )
        await self.send(data.topic, event)

    async def send(self, topic: str, event: CloudEvent) -> None:
        await self.producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())

    async def document(self, collection: str, query: Document) -> Document | None:
        return await self.runtime.runner.database[collection].find_one(query)

    async def sealed(self, contact_id: str, email: str, name: str = "Rep Person") -> Any:
        details = ContactDetails(full_name=name, email=email, company="Customer AS")
        return await seal(details, data_subject_id=contact_id, keys=self.runtime.keys)

    async def order_form_contact(self, contact_id: str, email: str) -> OrderFormContact:
        return OrderFormContact(contact_id=contact_id, details=await self.sealed(contact_id, email))

    async def sign_contract(
        self, organisation_id: str, *, contacts: dict[str, str], official: str, at: datetime
    ) -> None:
        """contacts: contact id -> email."""
        await self.publish(
            ContractSigned(
                organisation_id=organisation_id,
                name=f"Customer {organisation_id}",
                signed_at=at,
                contacts=tuple(
                    [await self.order_form_contact(cid, email) for cid, email in contacts.items()]
                ),
                official_contact_id=official,
            ),
            subject=organisation_id,
            time=at,
        )

    async def upsert_contact(
        self, organisation_id: str, contact_id: str, email: str, *, at: datetime
    ) -> None:
        await self.publish(
            ContactUpserted(
                organisation_id=organisation_id,
                contact_id=contact_id,
                upserted_at=at,
                details=await self.sealed(contact_id, email),
            ),
            subject=organisation_id,
            time=at,
        )

    async def register_contact(self, contact_id: str, email: str) -> None:
        await self.publish(
            ContactRegistered(
                contact_id=contact_id,
                registered_at=self.clock.now(),
                details=await self.sealed(contact_id, email, "Requester Person"),
            ),
            subject=contact_id,
        )

    async def receive_request(
        self,
        *,
        requester_id: str,
        email: str,
        at: datetime,
        subject: str = "Cannot log in",
    ) -> str:
        """Publish a support.request.received.v1 as intake does (no organisation: access
        decides it from the CRM) and wait until access has it; its id."""
        request_id = str(uuid4())
        content = RequestContent(
            requester=ContactDetails(full_name="Requester Person", email=email),
            subject=subject,
            body="The body of the request.",
        )
        await self.publish(
            RequestReceived(
                request_id=request_id,
                reference=f"SR-{request_id[:8].upper()}",
                channel="web",
                requester_id=requester_id,
                lawful_basis="legitimate_interest",
                received_at=at,
                content=await seal(content, data_subject_id=requester_id, keys=self.runtime.keys),
            ),
            subject=request_id,
            time=at,
        )
        await eventually(lambda: self.document("request_views", {"_id": request_id}), timeout=30)
        return request_id

    async def link_token(self, email: str) -> str:
        """The one-time token from the newest set-password mail to this address."""

        async def mail() -> str | None:
            found = [m for m in self.sink.to(email) if "password" in str(m["Subject"])]
            return found[-1].get_content() if found else None

        body = await eventually(mail, timeout=30)
        match = LINK.search(body)
        assert match is not None
        return match.group(1)

    async def activate(self, email: str, password: str = PASSWORD) -> str:
        """Follow the mailed link, set a password, log in; the bearer token."""
        token = await self.link_token(email)
        response = await self.http.post(
            "/accounts/set-password", json={"token": token, "password": password}
        )
        assert response.status_code == 204, response.text
        return await self.login(email, password)

    async def login(self, email: str, password: str) -> str:
        response = await self.http.post("/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def add_staff(self, admin: str, role: str) -> tuple[str, str]:
        """An admin adds a staff member; returns (staff id, token)."""
        email = f"{role}.{uuid4().hex[:8]}@support.example"
        response = await self.http.post(
            "/staff",
            headers=bearer(admin),
            json={"email": email, "role": role, "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return response.json()["staff_id"], await self.login(email, PASSWORD)


@pytest.fixture
def access_settings(
    infrastructure: Infrastructure, instance_prefix: str, mail_sink: SmtpSink
) -> Callable[..., AccessSettings]:
    def make(**overrides: Any) -> AccessSettings:
        values: dict[str, Any] = {
            "instance_prefix": instance_prefix,
            "kafka_bootstrap_servers": infrastructure.kafka_bootstrap,
            "mongodb_url": infrastructure.mongodb_url,
            "outbox_poll_seconds": 0.2,
            "retry_max_backoff_seconds": 0.5,
            "smtp_relay_port": mail_sink.port,
            "staff_token": STAFF_TOKEN,
            "public_base_url": "http://access.test",
            "ACCESS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "ACCESS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ACCESS_MAIL_RETRY_SECONDS": 0.3,
        }
        values.update(overrides)
        return AccessSettings(**values)

    return make


StartAccess = Callable[..., AbstractAsyncContextManager[Access]]


@pytest.fixture
def start_access(
    access_settings: Callable[..., AccessSettings],
    producer: AIOKafkaProducer,
    mail_sink: SmtpSink,
) -> StartAccess:
    """Start an access instance (settings overridden by their environment names)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Access]:
        clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        app = create_app(access_settings(**overrides), clock=clock)
        async with running(app) as http:
            yield Access(app=app, http=http, clock=clock, producer=producer, sink=mail_sink)

    return start


@pytest.fixture
async def access(start_access: StartAccess) -> AsyncIterator[Access]:
    async with start_access() as started:
        yield started


def days(n: float) -> timedelta:
    return timedelta(days=n)
