"""retention in the privacy protocol (P11): its own holdings as a participant (retention clocks
and the holds naming a person), and the orchestrator's bookkeeping of every participant's
answers."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence, Set
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.retention.erasure import ParticipantCompletion, Purge, record_completion
from services.retention.purge_store import RECTIFICATIONS
from services.retention.repository import CLOCKS, MongoLegalHolds, MongoRetentionClocks
from shared.events import CloudEvent
from shared.events.intake import ContactDetails
from shared.events.privacy import (
    ErasureCompleted,
    ErasureScope,
    ExportContributed,
    KeptRecords,
)
from shared.holdings import ErasureNotes, Kept, owned_by, person_ids
from shared.mongo import Document, Transaction, delete_matching, each_at_once, kept_out
from shared.person_links import MongoPersonLinks

PARTICIPANT = "retention"


class Purges(Protocol):
    async def get(self, erasure_id: str) -> Purge | None: ...
    async def save(self, purge: Purge) -> None: ...


class Exports(Protocol):
    async def contribute(
        self, export_id: str, *, participant: str, records: dict[str, Any]
    ) -> None: ...
    async def keep_slice(
        self, export_id: str, *, participant: str, part: int, records: dict[str, Any]
    ) -> int: ...


class RetentionRecord(BaseModel):
    """What retention holds on a person: their requests' clocks and holds naming them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    retention_clocks: list[dict[str, Any]]
    legal_holds: list[dict[str, Any]]


def clocks_in(scope: ErasureScope) -> Document | None:
    """The clocks an erasure of this scope removes (kept requests excluded); None if all kept."""
    keep = list(scope.keep_request_ids)
    if scope.kind == "request":
        return None if scope.id in keep else {"_id": scope.id}
    return kept_out(owned_by(scope), keep)


class RetentionHoldings:
    """retention's copies as a participant: one retention clock per request (ids and dates,
    the requester's id), deleted with the request; no contact details."""

    person_records = "persons"

    def __init__(self, tx: Transaction) -> None:
        self._database: AsyncDatabase[Document] = tx.database
        self._session: AsyncClientSession = tx.session
        self._clocks = tx.database[CLOCKS]
        self._links = MongoPersonLinks(tx.database)  # outside the transaction, like the clocks

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        if scope.kind == "person":
            return {scope.id}
        query = clocks_in(scope)
        if query is None:
            return set()
        return {str(r) for r in await self._clocks.distinct("requester_id", query)}

    async def customers_requests(self, scope: ErasureScope) -> set[str]:
        """Following a customer's contract, or decided by access to be a customer's (intake's
        word not here yet). One not decided yet goes; should it prove a customer's, its
        decision, read after, starts its clock again."""
        clocks = await MongoRetentionClocks(self._database).of_requesters(person_ids(scope))
        return {
            clock.request_id
            for clock in clocks
            if clock.rule == "customer_relationship" or clock.decided_organisation_id
        }

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        query = clocks_in(scope)
        if query is not None:
            await notes.deleted("retention_clocks", await delete_matching(self._clocks, query))
        if scope.kind == "person":  # which ids were one person's goes with the person
            await notes.deleted("person_links", await self._links.forget(person_ids(scope)))

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        return {}  # retention keeps nothing of a person but their requests' clocks

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        query = clocks_in(scope)
        counting: dict[str, Awaitable[int]] = {}
        if query is not None:
            counting["retention_clocks"] = self._clocks.count_documents(query)
        if scope.kind == "person":
            counting["person_links"] = self._links.count_of(person_ids(scope))
        return {"retention_clocks": 0, **await each_at_once(counting)}

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        return ()  # nothing of a person's is kept with another's here

    async def export(self, data_subject_id: str) -> RetentionRecord:
        clocks = await MongoRetentionClocks(self._database).of_requester(data_subject_id)
        holds = await MongoLegalHolds(self._database).all()
        return RetentionRecord(
            retention_clocks=[
                {
                    "request_id": c.request_id,
                    "organisation_id": c.organisation_id,
                    "rule": c.rule,
                    "lawful_basis": "contract" if c.organisation_id else "legitimate_interest",
                    "last_activity_at": c.last_activity_at.isoformat(),
                    "purge_due_at": c.purge_due_at.isoformat() if c.purge_due_at else None,
                }
                for c in clocks
            ],
            legal_holds=[
                {"hold_id": h.hold_id, "reason": h.reason, "placed_at": h.placed_at.isoformat()}
                for h in holds
                if h.scope_kind == "person" and h.scope_id == data_subject_id
            ],
        )

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        """retention keeps no contact details, so it only notes (without them) that it was asked."""
        await self._database[RECTIFICATIONS].insert_one(
            {"data_subject_id": data_subject_id, "applied": "no contact details held by retention"},
            session=self._session,
        )


async def track_erasure_completion(event: CloudEvent, *, purges: Purges) -> bool:
    """Orchestrator side: note each participant's answer to a purge we drive. True when this
    answer was the last one missing: the purge's keys and certificate are due now."""
    completed = ErasureCompleted.from_event(event)
    purge = await purges.get(completed.erasure_id)
    if purge is None:
        return False
    updated = record_completion(
        purge,
        participant=completed.participant,
        completion=ParticipantCompletion(
            completed_at=completed.completed_at,
            counts=dict(completed.counts),
            data_subject_ids=completed.data_subject_ids,
            remaining=None if completed.remaining is None else dict(completed.remaining),
            kept=tuple(kept.model_dump() for kept in completed.kept),
            kept_data_subject_ids=completed.kept_data_subject_ids,
        ),
    )
    if updated == purge:
        return False
    await purges.save(updated)
    return updated.state == "participants_completed"


async def collect_export_contribution(event: CloudEvent, *, exports: Exports) -> None:
    """Orchestrator side: keep a participant's sealed part of an export we asked for."""
    contributed = ExportContributed.from_event(event)
    records = contributed.records.model_dump()
    if contributed.parts > 1:  # a slice of a large part: the part counts once all are here
        kept = await exports.keep_slice(
            contributed.export_id,
            participant=contributed.participant,
            part=contributed.part,
            records=records,
        )
        if kept < contributed.parts:
            return
        records = {"slices": contributed.parts, "data_subject_id": records["data_subject_id"]}
    await exports.contribute(
        contributed.export_id, participant=contributed.participant, records=records
    )
