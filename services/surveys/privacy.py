"""surveys' part in P11: erase, export or rectify what it holds on a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from services.surveys.domain import Invitation, RegisteredContact, SurveyKeys
from services.surveys.handlers import InvitationAddress
from services.surveys.responses import RecordedResponse
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, seal, unseal
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.events.intake import ContactDetails
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
    RectificationRequested,
)
from shared.events.surveys import ResponseComment

SOURCE = "/support/surveys"


class _KeyedSet(Protocol):
    async def contains(self, key: str) -> bool: ...
    async def add(self, key: str, *, at: datetime) -> None: ...


class _Contacts(Protocol):
    async def get(self, contact_id: str) -> RegisteredContact | None: ...
    async def address(self, contact_id: str) -> SealedPersonalData | None: ...


class _Invitations(Protocol):
    async def for_subject(self, requester_id: str) -> list[Invitation]: ...


class _Responses(Protocol):
    async def for_subject(self, requester_id: str) -> list[RecordedResponse]: ...


class SurveyHoldings(Protocol):
    """What privacy needs of surveys' store (the Mongo unit of work provides it)."""

    @property
    def contacts(self) -> _Contacts: ...
    @property
    def opt_outs(self) -> _KeyedSet: ...
    @property
    def erased(self) -> _KeyedSet: ...
    @property
    def invitations(self) -> _Invitations: ...
    @property
    def responses(self) -> _Responses: ...

    def erasure_progress(self, erasure_id: str, *, now: datetime) -> ErasureProgress: ...
    async def erase(
        self,
        *,
        kind: str,
        scope_id: str,
        progress: ErasureProgress,
        keep_request_ids: tuple[str, ...] = (),
    ) -> None: ...
    async def erase_contacts(self, query: dict[str, Any], *, progress: ErasureProgress) -> None: ...
    async def rectify_contact(
        self, contact_id: str, *, address: SealedPersonalData, opt_out_key: str
    ) -> None: ...
    async def publish(self, topic: str, event: CloudEvent) -> None: ...


class ExportedInvitation(BaseModel):
    request_id: str
    state: str
    reason: str
    resolved_at: datetime
    due_at: datetime | None
    sent_at: datetime | None


class ExportedResponse(BaseModel):
    request_id: str
    score: int
    comment: str | None
    responded_at: datetime


class SurveysExport(BaseModel):
    """Everything surveys holds on one person, machine-readable."""

    model_config = ConfigDict(frozen=True)

    registered: bool
    email: str | None
    organisation_id: str | None
    opted_out: bool
    invitations: list[ExportedInvitation]
    responses: list[ExportedResponse]


async def erase(
    event: CloudEvent, *, uow: SurveyHoldings, secrets: SurveyKeys, clock: Clock
) -> None:
    """Delete the scope's records and announce the completion with counts and subjects: every
    run's, since the deleting happens outside this transaction (see ErasureProgress)."""
    requested = ErasureRequested.from_event(event)
    scope = requested.scope
    progress = uow.erasure_progress(requested.erasure_id, now=clock.now())
    await uow.erase(
        kind=scope.kind,
        scope_id=scope.id,
        progress=progress,
        keep_request_ids=scope.keep_request_ids,
    )
    if scope.kind == "person":
        await uow.erase_contacts({"_id": scope.id}, progress=progress)
        await uow.erased.add(secrets.erased_key(scope.id), at=requested.requested_at)
        await progress.subjects_found([scope.id])
    elif scope.kind == "organisation":
        await uow.erase_contacts({"organisation_id": scope.id}, progress=progress)
    else:
        await progress.deleted("contacts", 0)
    counts, subjects = await progress.so_far()
    completed = ErasureCompleted(
        erasure_id=requested.erasure_id,
        participant="surveys",
        completed_at=clock.now(),
        counts=counts,
        data_subject_ids=tuple(sorted(subjects)),
    )
    await uow.publish(
        topics.PRIVACY_ERASURE,
        CloudEvent.of(
            source=SOURCE,
            type=ErasureCompleted.event_type,
            subject=requested.erasure_id,
            time=completed.completed_at,
            data=completed,
        ),
    )


async def export(event: CloudEvent, *, uow: SurveyHoldings, keys: KeyStore, clock: Clock) -> None:
    """Publish, sealed with the person's key, what surveys holds on them."""
    requested = ExportRequested.from_event(event)
    subject = requested.data_subject_id
    contact = await uow.contacts.get(subject)
    sealed_address = await uow.contacts.address(subject)
    address = await unseal(sealed_address, InvitationAddress, keys=keys) if sealed_address else None
    invitations = await uow.invitations.for_subject(subject)
    responses = await uow.responses.for_subject(subject)
    exported = SurveysExport(
        registered=contact is not None,
        email=str(address.email) if address else None,
        organisation_id=contact.organisation_id if contact else None,
        opted_out=contact is not None and await uow.opt_outs.contains(contact.opt_out_key),
        invitations=[
            ExportedInvitation(
                request_id=i.request_id,
                state=i.state,
                reason=i.reason,
                resolved_at=i.resolved_at,
                due_at=i.due_at,
                sent_at=i.sent_at,
            )
            for i in invitations
        ],
        responses=[
            ExportedResponse(
                request_id=r.request_id,
                score=r.score,
                comment=await _comment(r.comment, keys=keys),
                responded_at=r.responded_at,
            )
            for r in responses
        ],
    )
    contributed = ExportContributed(
        export_id=requested.export_id,
        participant="surveys",
        contributed_at=clock.now(),
        records=await seal(exported, data_subject_id=subject, keys=keys),
    )
    await uow.publish(
        topics.PRIVACY_DSR,
        CloudEvent.of(
            source=SOURCE,
            type=ExportContributed.event_type,
            subject=requested.export_id,
            time=contributed.contributed_at,
            data=contributed,
        ),
    )


async def rectify(
    event: CloudEvent, *, uow: SurveyHoldings, keys: KeyStore, secrets: SurveyKeys
) -> None:
    """Replace a person's sealed address and opt-out hash; an opt-out follows the new address."""
    requested = RectificationRequested.from_event(event)
    subject = requested.data_subject_id
    details = await unseal(requested.details, ContactDetails, keys=keys)
    if details is None:  # key shredded: the person was erased
        return
    contact = await uow.contacts.get(subject)
    if contact is None:  # not registered here: surveys keeps nothing to correct
        return
    opt_out_key = secrets.opt_out_key(str(details.email))
    if await uow.opt_outs.contains(contact.opt_out_key):
        await uow.opt_outs.add(opt_out_key, at=requested.requested_at)
    address = await seal(InvitationAddress(email=details.email), data_subject_id=subject, keys=keys)
    await uow.rectify_contact(subject, address=address, opt_out_key=opt_out_key)


async def _comment(sealed: SealedPersonalData | None, *, keys: KeyStore) -> str | None:
    if sealed is None:
        return None
    opened = await unseal(sealed, ResponseComment, keys=keys)
    return opened.comment if opened else None
