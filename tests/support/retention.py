"""Helpers for retention's component tests: settings, events other systems publish, topic reads."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from deploy.local.groups import commit_at_end
from services.retention.settings import RetentionSettings
from shared import topics
from shared.clock import FixedClock
from shared.crypto import KeyStore, seal
from shared.events import CloudEvent
from shared.events.access import RequestOrganisationDecided
from shared.events.crm import ContractReinstated, ContractTerminated
from shared.events.intake import (
    ContactDetails,
    MessageAdded,
    MessageContent,
    OrganisationChanged,
    RequestContent,
    RequestReceived,
)
from shared.events.privacy import ErasureCompleted, ErasureRequested
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime
from shared.settings import ServiceSettings
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_events

STAFF = {"Authorization": "Bearer dev-staff-token"}


def retention_settings(
    infrastructure: Infrastructure, instance_prefix: str, **extra: Any
) -> RetentionSettings:
    """Settings for an in-process retention on the session's infrastructure."""
    values: dict[str, Any] = {
        "instance_prefix": instance_prefix,
        "kafka_bootstrap_servers": infrastructure.kafka_bootstrap,
        "mongodb_url": infrastructure.mongodb_url,
        "outbox_poll_seconds": 0.2,
        "retry_max_backoff_seconds": 1.0,
        "RETENTION_SCHEDULER_SECONDS": 0.2,
        **extra,
    }
    return RetentionSettings(**values)


async def publish(producer: AIOKafkaProducer, topic: str, event: CloudEvent) -> None:
    await producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())


async def request_received(
    keys: KeyStore,
    *,
    received_at: datetime,
    requester_id: str | None = None,
    full_name: str = "Test Person",
    email: str | None = None,
) -> CloudEvent:
    """A support.request.received.v1 as intake publishes it: personal fields sealed, and no
    organisation (access decides that; intake announces it with organisation_changed)."""
    requester_id = requester_id or str(uuid4())
    request_id = str(uuid4())
    content = RequestContent(
        requester=ContactDetails(full_name=full_name, email=email or f"{requester_id}@example.org"),
        subject="cannot log in",
        body="my course page is empty",
    )
    data = RequestReceived(
        request_id=request_id,
        reference="SR-TEST0001",
        channel="web",
        requester_id=requester_id,
        lawful_basis="legitimate_interest",
        received_at=received_at,
        content=await seal(content, data_subject_id=requester_id, keys=keys),
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=request_id, time=received_at, data=data
    )


def organisation_changed(
    request_id: str, requester_id: str, organisation_id: str | None, *, version: int, at: datetime
) -> CloudEvent:
    """support.request.organisation_changed.v1 as intake publishes it after access's decision."""
    data = OrganisationChanged(
        request_id=request_id,
        requester_id=requester_id,
        channel="web",
        organisation_id=organisation_id,
        lawful_basis="contract" if organisation_id else "legitimate_interest",
        version=version,
        changed_at=at,
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=request_id, time=at, data=data
    )


def organisation_decided(
    request_id: str, requester_id: str, organisation_id: str | None, *, at: datetime
) -> CloudEvent:
    """access.request.organisation_decided.v1 as access publishes it on reading a request (for
    every request, a customer's or nobody's; version 1, at the time received)."""
    data = RequestOrganisationDecided(
        request_id=request_id,
        requester_id=requester_id,
        organisation_id=organisation_id,
        lawful_basis="contract" if organisation_id else "legitimate_interest",
        version=1,
        decided_at=at,
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=request_id, time=at, data=data
    )


async def message_added(
    keys: KeyStore, *, request_id: str, requester_id: str, added_at: datetime
) -> CloudEvent:
    data = MessageAdded(
        request_id=request_id,
        message_id=str(uuid4()),
        requester_id=requester_id,
        channel="email",
        author_role="requester",
        added_at=added_at,
        content=await seal(
            MessageContent(body="any news?"), data_subject_id=requester_id, keys=keys
        ),
    )
    return CloudEvent.of(
        source="/tests", type=data.event_type, subject=request_id, time=added_at, data=data
    )


def contract_terminated(
    organisation_id: str, *, termination_date: date, terminated_at: datetime
) -> CloudEvent:
    data = ContractTerminated(
        organisation_id=organisation_id,
        termination_date=termination_date,
        terminated_at=terminated_at,
    )
    return CloudEvent.of(
        source="/crm", type=data.event_type, subject=organisation_id, time=terminated_at, data=data
    )


def contract_reinstated(organisation_id: str, *, reinstated_at: datetime) -> CloudEvent:
    data = ContractReinstated(organisation_id=organisation_id, reinstated_at=reinstated_at)
    return CloudEvent.of(
        source="/crm", type=data.event_type, subject=organisation_id, time=reinstated_at, data=data
    )


async def erasure_requests(bootstrap: str, *, scope_id: str) -> list[ErasureRequested]:
    """Every erasure request on the topic for that scope id (repeats included)."""
    found = []
    for event in await read_events(bootstrap, topics.PRIVACY_ERASURE):
        if event.type == ErasureRequested.event_type:
            requested = ErasureRequested.from_event(event)
            if requested.scope.id == scope_id:
                found.append(requested)
    return found


async def erasure_completions(bootstrap: str, *, erasure_id: str) -> list[ErasureCompleted]:
    found = []
    for event in await read_events(bootstrap, topics.PRIVACY_ERASURE):
        if event.type == ErasureCompleted.event_type:
            completed = ErasureCompleted.from_event(event)
            if completed.erasure_id == erasure_id:
                found.append(completed)
    return found


async def complete_as(
    producer: AIOKafkaProducer,
    *,
    participant: str,
    erasure_id: str,
    at: datetime,
    data_subject_ids: tuple[str, ...] = (),
    counts: dict[str, int] | None = None,
    remaining: dict[str, int] | None = None,
) -> None:
    """Play another participant answering an erasure request (by default: nothing left)."""
    data = ErasureCompleted(
        erasure_id=erasure_id,
        participant=participant,  # type: ignore[arg-type]
        completed_at=at,
        counts=counts or {"records": len(data_subject_ids)},
        data_subject_ids=data_subject_ids,
        remaining={"records": 0} if remaining is None else remaining,
    )
    event = CloudEvent.of(
        source=f"/tests/{participant}", type=data.event_type, subject=erasure_id, time=at, data=data
    )
    await publish(producer, topics.PRIVACY_ERASURE, event)


RETENTION_TOPICS = (
    topics.SUPPORT_REQUESTS,
    topics.CRM_CONTRACTS,
    topics.LEGAL_HOLDS,
    topics.PRIVACY_ERASURE,
    topics.PRIVACY_DSR,
)


async def skip_history(bootstrap: str, *, group_prefix: str) -> None:
    """Commit retention's fresh consumer groups (one per topic) at the end of its topics, so a
    test's service sees only that test's events (not the whole session's history)."""
    await ensure_topics(bootstrap, RETENTION_TOPICS, partitions=ServiceSettings().kafka_partitions)
    for topic in RETENTION_TOPICS:
        await commit_at_end(bootstrap, group_id=f"{group_prefix}.{topic}", topic=topic)


async def seen_request(
    app: FastAPI, producer: AIOKafkaProducer, http: httpx.AsyncClient, clock: FixedClock, **kw: str
) -> tuple[str, str]:
    """A request published on the bus, once retention shows it: (request id, requester id)."""
    runtime: ServiceRuntime = app.state.runtime
    organisation_id = kw.pop("organisation_id", None)
    event = await request_received(runtime.keys, received_at=clock.now(), **kw)
    await publish(producer, topics.SUPPORT_REQUESTS, event)
    requester_id = RequestReceived.from_event(event).requester_id
    received_at = RequestReceived.from_event(event).received_at
    decided = organisation_decided(event.subject, requester_id, organisation_id, at=received_at)
    await publish(producer, topics.ACCESS_MEMBERSHIPS, decided)
    if organisation_id is not None:  # access found the requester represents a customer
        changed = organisation_changed(
            event.subject, requester_id, organisation_id, version=1, at=clock.now()
        )
        await publish(producer, topics.SUPPORT_REQUESTS, changed)
    clocks = runtime.runner.database["retention_clocks"]

    async def seen() -> bool:
        response = await http.get(f"/retention/requests/{event.subject}", headers=STAFF)
        decided = await clocks.find_one({"_id": event.subject, "decided_version": 1})
        return (
            response.status_code == 200
            and response.json()["organisation_id"] == organisation_id
            and decided is not None
        )

    await eventually(seen)
    return event.subject, requester_id
