"""intake's tests: a running intake, mails and addresses."""

from __future__ import annotations

import asyncio
import json
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared.events import CloudEvent
from shared.events.access import RequestOrganisationDecided
from shared.events.base import EventData
from shared.mongo import Document
from shared.service import ServiceRuntime
from tests.support.kafka import read_topic
from tests.support.smtp import SmtpSink

STAFF = {"Authorization": "Bearer dev-staff-token"}


def mail(
    *, sender: str, subject: str, body: str, name: str = "Ada Example", **headers: str
) -> EmailMessage:
    """A plain-text mail to support; extra headers as keyword arguments (`_` becomes `-`)."""
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = "support@support.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid4().hex}@mail.example.org>"
    for header, value in headers.items():
        message[header.replace("_", "-")] = value
    message.set_content(body)
    return message


def unique_email(name: str = "ada") -> str:
    return f"{name}.{uuid4().hex[:8]}@example.org"


@dataclass
class Intake:
    """One running intake: its HTTP client, SMTP port, database and the mail sink."""

    app: FastAPI
    http: httpx.AsyncClient
    smtp_port: int
    sink: SmtpSink
    producer: AIOKafkaProducer
    bootstrap: str

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def collection(self, name: str) -> Any:
        return self.runtime.runner.database[name]

    async def find(self, name: str, query: Document) -> list[Document]:
        found: list[Document] = await self.collection(name).find(query).to_list()
        return found

    async def send_mail(self, message: EmailMessage, *, sender: str | None = None) -> None:
        """Send through intake's SMTP server with smtplib (in a thread: it blocks)."""

        def send() -> None:
            with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=30) as client:
                client.send_message(message, from_addr=sender)

        await asyncio.to_thread(send)

    async def publish(self, data: EventData, *, subject: str) -> CloudEvent:
        event = CloudEvent.of(
            source="/tests",
            type=data.event_type,
            subject=subject,
            time=datetime.now(UTC),
            data=data,
        )
        await self.producer.send_and_wait(data.topic, event.to_bytes(), key=subject.encode())
        return event

    async def decided_by_access(self, requests: list[Document]) -> None:
        """access's decision on arrival that each request is nobody's, as access announces it
        for every request it reads (a person's erasure waits in intake until it has come);
        returns once intake has noted them."""
        for request in requests:
            decided = RequestOrganisationDecided(
                request_id=request["_id"],
                requester_id=request["requester_id"],
                lawful_basis="legitimate_interest",
                version=1,
                decided_at=request["received_at"],
            )
            await self.publish(decided, subject=request["_id"])
        ids = [request["_id"] for request in requests]
        for _ in range(300):
            noted = await self.find("requests", {"_id": {"$in": ids}, "organisation_version": 1})
            if len(noted) == len(ids):
                return
            await asyncio.sleep(0.1)
        raise AssertionError("intake did not note access's decisions within 30 s")

    async def events(self, topic: str, *, type: str, subject: str | None = None) -> list[Any]:
        """Events of a type on a topic (optionally one aggregate's), from the start of the topic;
        the poison records other tests of the session put there on purpose are passed over."""
        found = []
        for record in await read_topic(self.bootstrap, topic):
            try:
                event = json.loads(record.value)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("type") == type and (subject is None or event["subject"] == subject):
                found.append(event)
        return found

    async def requests_of(self, email: str) -> list[Document]:
        [contact] = await self.find("contacts", {"email_normalised": email.casefold()})
        return await self.find("requests", {"requester_id": contact["_id"]})
