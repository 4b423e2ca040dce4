"""Answering a survey and opting out: plain async functions of (command, unit of work)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from services.surveys.domain import Invitation, response_key_id, token_hash
from services.surveys.persons import PendingInvitations, PersonUnitOfWork, honour_opt_out
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, seal
from shared.events import CloudEvent
from shared.events.sources import SURVEYS
from shared.events.surveys import ResponseComment, SurveyResponseRecorded

ANSWERABLE_STATES = ("sending", "sent")

ResponseOutcome = Literal["recorded", "unknown", "expired", "already_answered"]
OptOutOutcome = Literal["opted_out", "unknown"]


class AlreadyAnsweredError(Exception):
    """A response for this invitation exists already (one response per invitation)."""


@dataclass(frozen=True)
class RecordedResponse:
    """A score 1-5 for one invitation; the comment is kept sealed with the person's key."""

    invitation_id: str
    request_id: str
    requester_id: str
    channel: str
    organisation_id: str | None
    score: int
    responded_at: datetime
    comment: SealedPersonalData | None = None


class Invitations(PendingInvitations, Protocol):
    async def by_token(self, *, field: str, hashed: str) -> Invitation | None: ...


class Responses(Protocol):
    async def add(self, response: RecordedResponse) -> None: ...
    async def exists(self, invitation_id: str) -> bool: ...


class ResponseUnitOfWork(Protocol):
    @property
    def invitations(self) -> Invitations: ...
    @property
    def responses(self) -> Responses: ...

    async def publish(self, topic: str, event: CloudEvent) -> None: ...


class OptOutUnitOfWork(PersonUnitOfWork, Protocol):
    @property
    def invitations(self) -> Invitations: ...


async def answerable(
    *, token: str, uow: ResponseUnitOfWork, clock: Clock
) -> tuple[ResponseOutcome, Invitation | None]:
    """Whether a response link still takes an answer: known, not expired, not yet answered."""
    invitation = await uow.invitations.by_token(
        field="response_token_hash", hashed=token_hash(token)
    )
    if invitation is None or invitation.state not in ANSWERABLE_STATES:
        return "unknown", None
    expires = invitation.response_expires_at
    if expires is None or clock.now() >= expires:
        return "expired", invitation
    if await uow.responses.exists(invitation.invitation_id):
        return "already_answered", invitation
    return "recorded", invitation


async def record_response(
    *,
    token: str,
    score: int,
    comment: str | None,
    uow: ResponseUnitOfWork,
    keys: KeyStore,
    clock: Clock,
) -> ResponseOutcome:
    """Keep one response per invitation and announce it, the comment sealed."""
    outcome, invitation = await answerable(token=token, uow=uow, clock=clock)
    if outcome != "recorded" or invitation is None:
        return outcome
    subject = invitation.requester_id
    key_id = response_key_id(invitation.invitation_id)
    sealed = (
        await seal(ResponseComment(comment=comment), data_subject_id=key_id, keys=keys)
        if comment
        else None
    )
    response = RecordedResponse(
        invitation_id=invitation.invitation_id,
        request_id=invitation.request_id,
        requester_id=subject,
        channel=invitation.channel,
        organisation_id=invitation.organisation_id,
        score=score,
        responded_at=clock.now(),
        comment=sealed,
    )
    await uow.responses.add(response)
    recorded = SurveyResponseRecorded(
        invitation_id=response.invitation_id,
        request_id=response.request_id,
        requester_id=subject,
        channel=invitation.channel,
        organisation_id=response.organisation_id,
        score=score,
        responded_at=response.responded_at,
        comment=sealed,
    )
    await uow.publish(
        topics.SURVEYS,
        SURVEYS.event(
            subject=response.request_id,
            time=response.responded_at,
            data=recorded,
        ),
    )
    return "recorded"


async def opt_out(*, token: str, uow: OptOutUnitOfWork, clock: Clock) -> tuple[OptOutOutcome, int]:
    """Honour an opt-out for ever: keep only the keyed hash of each of the person's addresses
    (P9: every contact access links to theirs); cancel what is pending for any of them.

    Returns the outcome and how many waiting invitations it cancelled."""
    invitation = await uow.invitations.by_token(
        field="opt_out_token_hash", hashed=token_hash(token)
    )
    if invitation is None or invitation.opt_out_key is None:
        return "unknown", 0
    now = clock.now()
    await uow.opt_outs.add(invitation.opt_out_key, at=now)
    person = await uow.persons.of_person(invitation.requester_id)
    return "opted_out", await honour_opt_out(person, uow=uow, at=now, given=True)
