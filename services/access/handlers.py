"""access's request handlers: the read model from intake's events, share grants (audited reads
are in reads.py).

The organisation of a request is access's decision (it owns membership, from the CRM): the
organisation the requester represented (by contact id or email) when the request was received;
CRM events arriving later assign or unassign it (customers.py). Each decision is published on
`access.memberships` for intake, which applies it to its copies and announces it to the others.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import uuid4

from services.access.domain import (
    AttachmentView,
    MessageView,
    OrganisationDecision,
    RequestView,
    ShareGrant,
    Visibility,
    lawful_basis_for,
    normalise_email,
    reads_everything,
    was_member_at,
)
from services.access.ports import AccessUnitOfWork
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, unseal
from shared.events import CloudEvent
from shared.events.access import (
    RequestContentRead,
    RequestOrganisationDecided,
    ShareGranted,
    ShareRevoked,
)
from shared.events.intake import (
    AttachmentMeta,
    ContactDetails,
    MessageAdded,
    MessageContent,
    RequestContent,
    RequesterRectified,
    RequestReceived,
    StatusChanged,
)
from shared.events.sources import ACCESS
from shared.tokens import Principal


class NotFoundError(LookupError):
    """Not there, or not for this caller: the answer is the same 404 either way."""


class RejectedError(ValueError):
    """A command that breaks a rule: names the field and the rule, never a value."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


async def record_request_received(
    event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore
) -> None:
    """Add a request to the read model, with the organisation its requester represented then."""
    received = RequestReceived.from_event(event)
    if await uow.requests.was_erased(received.request_id):
        return  # erased (P8) before its announcement got here: no copy of it again
    content = await unseal(received.content, RequestContent, keys=keys)
    email = str(content.requester.email) if content else None
    organisation_id = await _organisation_of_representative(
        uow, contact_id=received.requester_id, email=email, at=received.received_at
    )
    await uow.requests.upsert(
        RequestView(
            request_id=received.request_id,
            reference=received.reference,
            channel=received.channel,
            status=received.status,
            lawful_basis=lawful_basis_for(organisation_id),
            organisation_id=organisation_id,
            requester_id=received.requester_id,
            received_at=received.received_at,
            updated_at=received.received_at,
            requester_name=content.requester.full_name if content else None,
            requester_email=email,
            subject=content.subject if content else None,
            body=content.body if content else None,
            attachments=attachment_views(content.attachments if content else ()),
        ),
        organisation_derived=organisation_id is not None,
    )
    # announced for every request, a customer's or nobody's: retention holds a person's
    # erasure back until it knows whether a customer keeps their request (P7)
    decision = OrganisationDecision(
        request_id=received.request_id,
        requester_id=received.requester_id,
        organisation_id=organisation_id,
        version=1,
    )
    await announce_decisions(uow, [decision], at=received.received_at)  # no grant yet


async def publish_decisions(
    uow: AccessUnitOfWork, decisions: list[OrganisationDecision], *, at: datetime
) -> None:
    """Announce which organisation these requests belong to now; their grants follow them."""
    for decision in decisions:
        await uow.grants.tag_organisation(decision.request_id, decision.organisation_id)
    await announce_decisions(uow, decisions, at=at)


async def announce_decisions(
    uow: AccessUnitOfWork, decisions: list[OrganisationDecision], *, at: datetime
) -> None:
    await uow.publish_many(
        topics.ACCESS_MEMBERSHIPS,
        [
            _event(
                RequestOrganisationDecided(
                    request_id=d.request_id,
                    requester_id=d.requester_id,
                    organisation_id=d.organisation_id,
                    lawful_basis=lawful_basis_for(d.organisation_id),
                    version=d.version,
                    decided_at=at,
                ),
                subject=d.request_id,
                time=at,
            )
            for d in decisions
        ],
    )


async def _organisation_of_representative(
    uow: AccessUnitOfWork, *, contact_id: str, email: str | None, at: datetime
) -> str | None:
    """The organisation the requester represented when the request was received, if any."""
    email_normalised = normalise_email(email) if email else None
    await uow.directory.serialise(membership_keys(contact_id, email_normalised))
    reps = await uow.directory.representatives_of(contact_id, email_normalised)
    then = sorted({r.organisation_id for r in reps if was_member_at(r, at)})
    return then[0] if then else None


def membership_keys(contact_id: str, email_normalised: str | None) -> list[str]:
    """What a decision about a person's memberships serialises on: their contact and email."""
    return [f"contact:{contact_id}", *([f"email:{email_normalised}"] if email_normalised else [])]


async def record_message_added(event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore) -> None:
    """Keep a request's messages and last activity."""
    added = MessageAdded.from_event(event)
    content = await unseal(added.content, MessageContent, keys=keys)
    await uow.requests.add_message(
        added.request_id,
        MessageView(
            message_id=added.message_id,
            author_role=added.author_role,
            added_at=added.added_at,
            body=content.body if content else None,
            attachments=attachment_views(content.attachments if content else ()),
            correspondent_id=added.correspondent_id,
        ),
    )


def attachment_views(metas: tuple[AttachmentMeta, ...]) -> tuple[AttachmentView, ...]:
    return tuple(
        AttachmentView(
            attachment_id=meta.attachment_id,
            filename=meta.filename,
            media_type=meta.media_type,
            size=meta.size,
            kept=meta.kept,
        )
        for meta in metas
    )


async def record_status_changed(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    """Keep a request's status and last activity."""
    changed = StatusChanged.from_event(event)
    await uow.requests.change_status(
        changed.request_id, status=changed.to_status, at=changed.changed_at
    )


async def record_requester_rectified(
    event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore
) -> None:
    """The requester's correction (P11) on the request's view, after its announcement: a view
    made from a late read of the request shows it too."""
    rectified = RequesterRectified.from_event(event)
    details = await unseal(rectified.details, ContactDetails, keys=keys)
    if details is not None:  # erased since: the view went with them
        await uow.requests.restate_requester(
            rectified.request_id,
            name=details.full_name,
            email=str(details.email),
            at=rectified.rectified_at,
        )


async def share_request(
    request_id: str,
    *,
    colleague_id: str,
    reason: str,
    expires_at: datetime,
    principal: Principal,
    uow: AccessUnitOfWork,
    clock: Clock,
) -> ShareGrant:
    """Support staff let a colleague read one request until `expires_at` (P6)."""
    now = clock.now()
    if not reads_everything(principal):
        raise NotFoundError("no such request")
    view = await uow.requests.get(request_id, visibility=Visibility(everything=True))
    if view is None:
        raise NotFoundError("no such request")
    colleague = await uow.staff.get(colleague_id)
    if colleague is None or colleague.get("role") != "colleague":
        raise RejectedError("colleague_id", "must name an active colleague")
    if expires_at <= now:
        raise RejectedError("expires_at", "must be in the future")
    grant = ShareGrant(
        grant_id=str(uuid4()),
        request_id=request_id,
        colleague_id=colleague_id,
        reason=reason,
        granted_by=principal.principal_id,
        granted_at=now,
        expires_at=expires_at,
        organisation_id=view.organisation_id,
        requester_id=view.requester_id,
    )
    await uow.grants.add(grant)
    granted = ShareGranted(
        grant_id=grant.grant_id,
        request_id=request_id,
        colleague_id=colleague_id,
        granted_by=grant.granted_by,
        granted_at=now,
        expires_at=expires_at,
    )
    await uow.publish(topics.ACCESS_AUDIT, _event(granted, subject=request_id, time=now))
    return grant


async def grants_of(
    request_id: str, *, principal: Principal, uow: AccessUnitOfWork
) -> list[ShareGrant]:
    """Who a request is or was shared with (support staff, who share and revoke)."""
    if not reads_everything(principal):
        raise NotFoundError("no such request")
    return await uow.grants.of_request(request_id)


async def revoke_grant(
    grant_id: str, *, principal: Principal, uow: AccessUnitOfWork, clock: Clock
) -> ShareGrant:
    """End a share grant before it expires."""
    now = clock.now()
    grant = await uow.grants.get(grant_id)
    if grant is None or not reads_everything(principal):
        raise NotFoundError("no such grant")
    if grant.revoked_at is None:
        await uow.grants.revoke(grant_id, at=now)
        revoked = ShareRevoked(
            grant_id=grant_id,
            request_id=grant.request_id,
            colleague_id=grant.colleague_id,
            revoked_by=principal.principal_id,
            revoked_at=now,
        )
        await uow.publish(topics.ACCESS_AUDIT, _event(revoked, subject=grant.request_id, time=now))
        return replace(grant, revoked_at=now)
    return grant


def _event(
    data: RequestContentRead | ShareGranted | ShareRevoked | RequestOrganisationDecided,
    *,
    subject: str,
    time: datetime,
) -> CloudEvent:
    return ACCESS.event(subject=subject, time=time, data=data)
