"""surveys' event handlers: plain async functions of (event, dependencies)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, EmailStr

from services.surveys.domain import (
    Decision,
    Invitation,
    Reason,
    RegisteredContact,
    Resolution,
    SurveyCandidate,
    SurveyKeys,
    SurveyPolicy,
    decide,
)
from services.surveys.persons import PersonLinks, honour_opt_out
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, seal, unseal
from shared.events import CloudEvent
from shared.events.access import AccountContactsLinked
from shared.events.intake import (
    ContactDetails,
    ContactRegistered,
    OrganisationChanged,
    RequestReceived,
    StatusChanged,
)

REOPENED_STATUSES = ("open", "pending")
CountDecision = Callable[[Reason], None]


class InvitationAddress(BaseModel):
    """The one contact detail surveys keeps (sealed): where to send the invitation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: EmailStr


class SurveyCandidates(Protocol):
    async def was_erased(self, request_id: str) -> bool: ...
    async def watch(self, candidate: SurveyCandidate) -> None: ...
    async def get(self, request_id: str) -> SurveyCandidate | None: ...
    async def set_status(self, request_id: str, status: str) -> None: ...
    async def set_organisation(
        self, request_id: str, organisation_id: str | None, *, version: int
    ) -> bool: ...


class Contacts(Protocol):
    async def register(
        self, contact: RegisteredContact, *, address: SealedPersonalData
    ) -> None: ...
    async def get(self, contact_id: str) -> RegisteredContact | None: ...
    async def address(self, contact_id: str) -> SealedPersonalData | None: ...
    async def touch(self, contact_id: str, *, at: datetime) -> None: ...
    async def retag(self, contact_id: str) -> None: ...


class KeyedSet(Protocol):
    async def contains(self, key: str, *, hold: bool = False) -> bool: ...
    async def add(self, key: str, *, at: datetime) -> None: ...


class Invitations(Protocol):
    async def get(self, invitation_id: str) -> Invitation | None: ...
    async def record(self, invitation: Invitation) -> None: ...
    async def due_ats_for(self, requester_ids: Sequence[str]) -> list[datetime]: ...
    async def scheduled(
        self, *, request_id: str | None = None, requester_id: str | None = None
    ) -> list[str]: ...
    async def conclude(
        self, invitation_id: str, *, state: str, reason: Reason, at: datetime, **fields: object
    ) -> None: ...
    async def for_subject(self, requester_id: str) -> list[Invitation]: ...


class DecisionUnitOfWork(Protocol):
    @property
    def candidates(self) -> SurveyCandidates: ...
    @property
    def contacts(self) -> Contacts: ...
    @property
    def invitations(self) -> Invitations: ...
    @property
    def opt_outs(self) -> KeyedSet: ...
    @property
    def erased(self) -> KeyedSet: ...
    @property
    def persons(self) -> PersonLinks: ...

    async def tag_request(self, request_id: str, organisation_id: str | None) -> None: ...


async def watch_new_request(event: CloudEvent, *, candidates: SurveyCandidates) -> None:
    """Remember a new request, so its requester can be surveyed when it is resolved."""
    received = RequestReceived.from_event(event)
    if await candidates.was_erased(received.request_id):
        return  # erased before its announcement got here
    await candidates.watch(
        SurveyCandidate(
            request_id=received.request_id,
            requester_id=received.requester_id,
            channel=received.channel,
            organisation_id=received.organisation_id,
            status=received.status,
            received_at=received.received_at,
        )
    )


class PurgeMissed(Protocol):
    async def __call__(self, request_id: str, organisation_id: str, decided_at: datetime) -> bool:
        """Erase the request's copies here if its organisation's purge ran here after access
        decided it was the organisation's (the decision came late); whether it did."""
        ...


async def follow_organisation(
    event: CloudEvent, *, uow: DecisionUnitOfWork, purge_missed: PurgeMissed
) -> None:
    """A request found to be a customer organisation's (or no longer one): its candidate,
    invitations and responses say so, and so does its requester's registration (P7). One found
    to be a customer's before that customer's purge, the word arriving after it, goes now."""
    changed = OrganisationChanged.from_event(event)
    organisation_id = changed.organisation_id
    if organisation_id and await purge_missed(
        changed.request_id, organisation_id, changed.changed_at
    ):
        return
    applied = await uow.candidates.set_organisation(
        changed.request_id, changed.organisation_id, version=changed.version
    )
    if applied:
        await uow.tag_request(changed.request_id, changed.organisation_id)
        await uow.contacts.retag(changed.requester_id)


async def register_contact(
    event: CloudEvent,
    *,
    uow: DecisionUnitOfWork,
    keys: KeyStore,
    secrets: SurveyKeys,
    policy: SurveyPolicy,
    clock: Clock,
    count: CountDecision,
) -> None:
    """Remember a registered person: their address sealed, their opt-out hash; never if erased.

    A resolution read before the registration (they travel on different topics) was skipped as
    not registered; it is decided again now, so arrival order does not cost the person a survey.
    """
    registered = ContactRegistered.from_event(event)
    subject = registered.contact_id
    if await uow.erased.contains(secrets.erased_key(subject), hold=True):
        return  # erased; held until commit, so an erasure meanwhile deletes what is made here
    details = await unseal(registered.details, ContactDetails, keys=keys)
    if details is None:  # key shredded: the person was erased
        return
    address = await seal(InvitationAddress(email=details.email), data_subject_id=subject, keys=keys)
    contact = RegisteredContact(
        contact_id=subject,
        registered_at=registered.registered_at,
        opt_out_key=secrets.opt_out_key(str(details.email)),
    )
    await uow.contacts.register(contact, address=address)  # tagged with its organisations
    person = await uow.persons.of_person(subject)
    for _ in range(await honour_opt_out(person, uow=uow, at=clock.now(), known=[contact])):
        count("opted_out")
    for waiting in await uow.invitations.for_subject(subject):
        if waiting.state != "skipped" or waiting.reason != "not_registered":
            continue
        decision = await _decide(
            _resolution_of(waiting), person=person, uow=uow, policy=policy, secrets=secrets
        )
        now = clock.now()
        await uow.invitations.conclude(
            waiting.invitation_id,
            state=decision.state,
            reason=decision.reason,
            at=now,
            due_at=decision.due_at,
            decided_at=now,
        )
        count(decision.reason)


async def follow_status(
    event: CloudEvent,
    *,
    uow: DecisionUnitOfWork,
    policy: SurveyPolicy,
    secrets: SurveyKeys,
    clock: Clock,
    count: CountDecision,
) -> None:
    """On resolution decide whether to survey (and record why); on reopening cancel what waits."""
    changed = StatusChanged.from_event(event)
    await uow.candidates.set_status(changed.request_id, changed.to_status)
    if changed.to_status in REOPENED_STATUSES:
        for pending in await uow.invitations.scheduled(request_id=changed.request_id):
            await uow.invitations.conclude(
                pending, state="cancelled", reason="reopened", at=changed.changed_at
            )
            count("reopened")
        return
    if changed.to_status != "resolved":
        return
    if await uow.candidates.was_erased(changed.request_id):
        return  # erased before this was read here: nobody is surveyed about it (P9)
    resolution = Resolution(
        request_id=changed.request_id,
        requester_id=changed.requester_id,
        channel=changed.channel,
        organisation_id=changed.organisation_id,
        resolution=changed.resolution,
        resolved_at=changed.changed_at,
    )
    if await uow.invitations.get(resolution.invitation_id) is not None:
        return  # this resolution was decided already (replayed or republished event)
    person = await uow.persons.of_person(changed.requester_id)
    for contact_id in person:
        if await uow.contacts.get(contact_id) is not None:  # concurrent decisions conflict
            await uow.contacts.touch(contact_id, at=changed.changed_at)
    decision = await _decide(resolution, person=person, uow=uow, policy=policy, secrets=secrets)
    await uow.invitations.record(Invitation.decided(resolution, decision, at=clock.now()))
    count(decision.reason)


async def link_person(
    event: CloudEvent, *, uow: DecisionUnitOfWork, clock: Clock, count: CountDecision
) -> None:
    """P9: these contacts are one person's (access linked them in one account): they are
    throttled as one, and an opt-out given under any of them holds under all of them."""
    linked = AccountContactsLinked.from_event(event)
    await uow.persons.link(linked.account_id, linked.contact_ids)
    person = await uow.persons.of_person(linked.contact_ids[0])
    for _ in range(await honour_opt_out(person, uow=uow, at=clock.now())):
        count("opted_out")


async def _decide(
    resolution: Resolution,
    *,
    person: Sequence[str],
    uow: DecisionUnitOfWork,
    policy: SurveyPolicy,
    secrets: SurveyKeys,
) -> Decision:
    """P9's decision for one resolution, from what surveys knows of the person now (`person`:
    every id of the requester, theirs first)."""
    subject = resolution.requester_id
    contact = await uow.contacts.get(subject)
    return decide(
        resolution=resolution,
        policy=policy,
        registered=contact is not None,
        erased=await uow.erased.contains(secrets.erased_key(subject)),
        opted_out=contact is not None and await uow.opt_outs.contains(contact.opt_out_key),
        other_invitations_due=await uow.invitations.due_ats_for(person),
    )


def _resolution_of(invitation: Invitation) -> Resolution:
    return Resolution(
        request_id=invitation.request_id,
        requester_id=invitation.requester_id,
        channel=invitation.channel,
        organisation_id=invitation.organisation_id,
        resolution=invitation.resolution,
        resolved_at=invitation.resolved_at,
    )
