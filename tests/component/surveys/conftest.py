"""Fixtures for surveys against real Kafka, real storage and a real SMTP sink."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.surveys.app import create_app
from services.surveys.settings import SurveySettings
from shared.clock import FixedClock
from shared.crypto import seal
from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.intake import ContactDetails, ContactRegistered, StatusChanged
from shared.mongo import Document
from shared.service import ServiceRuntime
from tests.support.apps import eventually, running
from tests.support.infrastructure import Infrastructure
from tests.support.smtp import SmtpSink

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAFF = {"Authorization": "Bearer dev-staff-token"}


@dataclass
class Surveys:
    """One running surveys instance, its clock, and ways to feed it events."""

    app: FastAPI
    http: httpx.AsyncClient
    clock: FixedClock
    producer: AIOKafkaProducer
    sink: SmtpSink

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    async def publish(self, data: EventData, *, subject: str, time: datetime) -> CloudEvent:
        event = CloudEvent.of(
            source="/tests", type=data.event_type, subject=subject, time=time, data=data
        )
        await self.send(data.topic, event)
        return event

    async def send(self, topic: str, event: CloudEvent) -> None:
        await self.producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())

    async def register(
        self,
        *,
        email: str | None = None,
        contact_id: str | None = None,
    ) -> tuple[str, str]:
        """A person registered in the support system, as intake announces it (with no
        organisation: that is access's decision); returns (contact id, email)."""
        contact_id = contact_id or str(uuid4())
        email = email or f"p.{contact_id[:8]}@example.org"
        details = ContactDetails(full_name="Survey Person", email=email)
        await self.publish(
            ContactRegistered(
                contact_id=contact_id,
                registered_at=self.clock.now(),
                details=await seal(details, data_subject_id=contact_id, keys=self.runtime.keys),
            ),
            subject=contact_id,
            time=self.clock.now(),
        )
        await eventually(lambda: self.document("contacts", contact_id))
        return contact_id, email

    async def status(
        self,
        *,
        request_id: str,
        requester_id: str,
        to_status: str,
        at: datetime,
        from_status: str = "open",
        resolution: str | None = "solved",
        organisation_id: str | None = None,
        channel: str = "web",
    ) -> CloudEvent:
        """A status change as intake announces it (with the request's organisation, once
        access decided it)."""
        data = StatusChanged.model_validate(
            {
                "request_id": request_id,
                "requester_id": requester_id,
                "organisation_id": organisation_id,
                "channel": channel,
                "from_status": from_status,
                "to_status": to_status,
                "resolution": resolution if to_status == "resolved" else None,
                "changed_by_role": "support_staff",
                "changed_at": at,
            }
        )
        return await self.publish(data, subject=request_id, time=at)

    async def resolve(self, requester_id: str, **extra: Any) -> str:
        """Resolve a new request of the person now; returns its id once surveys decided."""
        request_id = extra.pop("request_id", None) or str(uuid4())
        await self.status(
            request_id=request_id,
            requester_id=requester_id,
            to_status="resolved",
            at=extra.pop("at", None) or self.clock.now(),
            **extra,
        )
        await eventually(lambda: self.decisions(request_id))
        return request_id

    async def document(self, collection: str, _id: str) -> Document | None:
        found: Document | None = await self.runtime.runner.database[collection].find_one(
            {"_id": _id}
        )
        return found

    async def decisions(self, request_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(
            "/surveys/decisions", params={"request_id": request_id}, headers=STAFF
        )
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()
        return listed

    async def reason(self, request_id: str) -> str:
        [decision] = await self.decisions(request_id)
        return str(decision["reason"])

    async def dispatch(self) -> int:
        """Run one dispatch round now (the background task does the same on its own)."""
        sent: int = await self.app.state.dispatcher.dispatch_due()
        return sent

    def metric(self, name: str, **labels: str) -> float:
        value = self.runtime.registry.get_sample_value(name, labels)
        return value or 0.0


def links(message: EmailMessage) -> dict[str, str]:
    """The response and opt-out tokens of an invitation mail."""
    body = message.get_content()
    respond = re.search(r"/surveys/respond/([A-Za-z0-9_-]+)", body)
    opt_out = re.search(r"/surveys/opt-out/([A-Za-z0-9_-]+)", body)
    assert respond and opt_out, body
    return {"respond": respond.group(1), "opt_out": opt_out.group(1)}


@pytest.fixture
def surveys_settings(
    infrastructure: Infrastructure, instance_prefix: str, mail_sink: SmtpSink
) -> Callable[..., SurveySettings]:
    def make(**overrides: Any) -> SurveySettings:
        values: dict[str, Any] = {
            "instance_prefix": instance_prefix,
            "kafka_bootstrap_servers": infrastructure.kafka_bootstrap,
            "mongodb_url": infrastructure.mongodb_url,
            "outbox_poll_seconds": 0.2,
            "retry_max_backoff_seconds": 0.5,
            "smtp_relay_port": mail_sink.port,
            "SURVEYS_SAMPLE_RATE": 1.0,
            "SURVEYS_DELAY": timedelta(hours=24),
            "SURVEYS_DISPATCH_POLL_SECONDS": 0.1,
            "SURVEYS_RESULTS_REFRESH_SECONDS": 0.2,
            "SURVEYS_PUBLIC_BASE_URL": "http://surveys.test",
        }
        values.update(overrides)
        return SurveySettings(**values)

    return make


StartSurveys = Callable[..., AbstractAsyncContextManager[Surveys]]


@pytest.fixture
def start_surveys(
    surveys_settings: Callable[..., SurveySettings],
    producer: AIOKafkaProducer,
    mail_sink: SmtpSink,
) -> StartSurveys:
    """Start a surveys instance with settings overridden (by their environment names)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Surveys]:
        clock = FixedClock(START)
        app = create_app(surveys_settings(**overrides), clock=clock)
        async with running(app) as http:
            yield Surveys(app=app, http=http, clock=clock, producer=producer, sink=mail_sink)

    return start


@pytest.fixture
async def surveys(start_surveys: StartSurveys) -> AsyncIterator[Surveys]:
    async with start_surveys() as started:
        yield started
