"""A minimal service on the shared backbone whose effect is not idempotent by itself
(an insert per handled event), so only the backbone's deduplication keeps it once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared import topics
from shared.crypto import KeyStore, seal, unseal
from shared.events import CloudEvent
from shared.events.intake import ContactDetails, RequestContent, RequestReceived, StatusChanged
from shared.mongo import Transaction
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings

EFFECTS = "effects"


def counting_service(settings: ServiceSettings, *, batch: bool = False) -> FastAPI:
    runtime = ServiceRuntime(settings)

    async def record_effect(event: CloudEvent, tx: Transaction) -> None:
        received = RequestReceived.from_event(event)
        content = await unseal(received.content, RequestContent, keys=runtime.keys)
        await tx.database[EFFECTS].insert_one(
            {
                "request_id": received.request_id,
                "subject": content.subject if content else None,
                "email": str(content.requester.email) if content else None,
            },
            session=tx.session,
        )

    runtime.consume(
        topics.SUPPORT_REQUESTS, {RequestReceived.event_type: record_effect}, batch=batch
    )
    app = FastAPI(lifespan=runtime.lifespan)
    app.state.runtime = runtime
    app.include_router(runtime.health_router())
    return app


async def request_received(
    keys: KeyStore, *, full_name: str = "Test Person", email: str | None = None, subject: str = "s"
) -> CloudEvent:
    """A well-formed support.request.received.v1 with its personal fields sealed."""
    requester_id = str(uuid4())
    request_id = str(uuid4())
    now = datetime.now(UTC)
    content = RequestContent(
        requester=ContactDetails(full_name=full_name, email=email or f"{requester_id}@example.org"),
        subject=subject,
        body="body text",
    )
    data = RequestReceived(
        request_id=request_id,
        reference="SR-TEST0001",
        channel="web",
        requester_id=requester_id,
        lawful_basis="legitimate_interest",
        received_at=now,
        content=await seal(content, data_subject_id=requester_id, keys=keys),
    )
    return CloudEvent.of(
        source="/tests", type=RequestReceived.event_type, subject=request_id, time=now, data=data
    )


async def publish(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    await producer.send_and_wait(
        topics.SUPPORT_REQUESTS, event.to_bytes(), key=event.subject.encode()
    )


def status_changed(request_id: str) -> CloudEvent:
    """A valid event of a type the counting service does not handle."""
    now = datetime.now(UTC)
    data = StatusChanged(
        request_id=request_id,
        requester_id=str(uuid4()),
        channel="web",
        from_status="open",
        to_status="pending",
        changed_by_role="support_staff",
        changed_at=now,
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=request_id, time=now, data=data
    )
