"""retention in the erasure/export protocol (P11): its own participant side, and the
orchestrator's bookkeeping of the other participants' answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from services.retention.domain import RetentionClock
from services.retention.erasure import ParticipantCompletion, Purge, record_completion
from services.retention.legal_holds import LegalHold
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, seal
from shared.events import CloudEvent
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
    RectificationRequested,
)

SOURCE = "/support/retention"
PARTICIPANT = "retention"

Publish = Callable[[str, CloudEvent], Awaitable[None]]


class ErasureJobs(Protocol):
    async def open(self, job: dict[str, Any]) -> None: ...


class Purges(Protocol):
    async def get(self, erasure_id: str) -> Purge | None: ...
    async def save(self, purge: Purge) -> None: ...


class Exports(Protocol):
    async def contribute(
        self, export_id: str, *, participant: str, records: dict[str, Any]
    ) -> None: ...


class PersonRecords(Protocol):
    async def of_requester(self, requester_id: str) -> list[RetentionClock]: ...


class HoldRecords(Protocol):
    async def all(self) -> list[LegalHold]: ...


class Rectifications(Protocol):
    async def record(self, rectification: dict[str, Any]) -> None: ...


async def accept_erasure(event: CloudEvent, *, jobs: ErasureJobs) -> None:
    """Participant side: an erasure request opens a job; the scheduler deletes in batches and
    publishes ErasureCompleted when the last batch is gone (so a crash loses no progress)."""
    requested = ErasureRequested.from_event(event)
    await jobs.open(
        {
            "erasure_id": requested.erasure_id,
            "scope_kind": requested.scope.kind,
            "scope_id": requested.scope.id,
            "keep_request_ids": list(requested.scope.keep_request_ids),
            "requested_at": requested.requested_at,
        }
    )


def erasure_completed_event(
    *, erasure_id: str, deleted: int, data_subject_ids: list[str], at: datetime
) -> CloudEvent:
    """retention's completion of its own part of an erasure."""
    completed = ErasureCompleted(
        erasure_id=erasure_id,
        participant=PARTICIPANT,
        completed_at=at,
        counts={"retention_clocks": deleted},
        data_subject_ids=tuple(sorted(data_subject_ids)),
    )
    return CloudEvent.of(
        source=SOURCE, type=completed.event_type, subject=erasure_id, time=at, data=completed
    )


async def track_erasure_completion(event: CloudEvent, *, purges: Purges) -> None:
    """Orchestrator side: note each participant's completion of a purge we drive."""
    completed = ErasureCompleted.from_event(event)
    purge = await purges.get(completed.erasure_id)
    if purge is None:
        return
    updated = record_completion(
        purge,
        participant=completed.participant,
        completion=ParticipantCompletion(
            completed_at=completed.completed_at,
            counts=dict(completed.counts),
            data_subject_ids=completed.data_subject_ids,
        ),
    )
    if updated != purge:
        await purges.save(updated)


class RetentionRecord(BaseModel):
    """What retention holds on a person: their requests' clocks and holds naming them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retention_clocks: list[dict[str, Any]]
    legal_holds: list[dict[str, Any]]


async def contribute_export(
    event: CloudEvent,
    *,
    clocks: PersonRecords,
    holds: HoldRecords,
    keys: KeyStore,
    clock: Clock,
    publish: Publish,
) -> None:
    """Participant side: publish what retention holds on the person, sealed with their key."""
    requested = ExportRequested.from_event(event)
    person = requested.data_subject_id
    record = RetentionRecord(
        retention_clocks=[
            {
                "request_id": c.request_id,
                "organisation_id": c.organisation_id,
                "rule": c.rule,
                "last_activity_at": c.last_activity_at.isoformat(),
                "purge_due_at": c.purge_due_at.isoformat() if c.purge_due_at else None,
            }
            for c in await clocks.of_requester(person)
        ],
        legal_holds=[
            {"hold_id": h.hold_id, "reason": h.reason, "placed_at": h.placed_at.isoformat()}
            for h in await holds.all()
            if h.scope_kind == "person" and h.scope_id == person
        ],
    )
    now = clock.now()
    contributed = ExportContributed(
        export_id=requested.export_id,
        participant=PARTICIPANT,
        contributed_at=now,
        records=await seal(record, data_subject_id=person, keys=keys),
    )
    await publish(
        topics.PRIVACY_DSR,
        CloudEvent.of(
            source=SOURCE,
            type=contributed.event_type,
            subject=requested.export_id,
            time=now,
            data=contributed,
        ),
    )


async def collect_export_contribution(event: CloudEvent, *, exports: Exports) -> None:
    """Orchestrator side: keep a participant's sealed part of an export we asked for."""
    contributed = ExportContributed.from_event(event)
    await exports.contribute(
        contributed.export_id,
        participant=contributed.participant,
        records=contributed.records.model_dump(),
    )


async def note_rectification(event: CloudEvent, *, rectifications: Rectifications) -> None:
    """retention keeps no contact details, so it only notes (without them) that one happened."""
    requested = RectificationRequested.from_event(event)
    await rectifications.record(
        {
            "_id": requested.rectification_id,
            "data_subject_id": requested.data_subject_id,
            "requested_at": requested.requested_at,
            "applied": "no contact details held by retention",
        }
    )
