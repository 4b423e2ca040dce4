"""The events intake publishes, built from its domain objects; personal fields sealed."""

from __future__ import annotations

from datetime import datetime

from services.intake.domain import Attachment, Contact, Message, SupportRequest
from shared import topics
from shared.crypto import KeyStore, seal
from shared.events import CloudEvent
from shared.events.intake import (
    AttachmentMeta,
    AuthorRole,
    ContactDetails,
    ContactRectified,
    ContactRegistered,
    MessageAdded,
    MessageContent,
    OrganisationChanged,
    RequestContent,
    RequesterRectified,
    RequestReceived,
    StatusChanged,
)
from shared.events.sources import INTAKE

Staged = tuple[str, CloudEvent]


async def contact_registered(contact: Contact, *, at: datetime, keys: KeyStore) -> Staged:
    data = ContactRegistered(
        contact_id=contact.contact_id,
        registered_at=at,
        details=await seal(contact.details, data_subject_id=contact.contact_id, keys=keys),
    )
    return topics.SUPPORT_CONTACTS, INTAKE.event(
        subject=contact.contact_id,
        time=at,
        data=data,
    )


async def rectified(
    contact: Contact, request_ids: list[str], *, at: datetime, keys: KeyStore
) -> list[Staged]:
    """The contact's correction, after their registration and after each request of theirs."""
    sealed = await seal(contact.details, data_subject_id=contact.contact_id, keys=keys)
    person = contact.contact_id
    of_contact = ContactRectified(contact_id=person, rectified_at=at, details=sealed)
    staged = [(topics.SUPPORT_CONTACTS, INTAKE.event(subject=person, time=at, data=of_contact))]
    for request_id in request_ids:
        of_request = RequesterRectified(
            request_id=request_id, requester_id=person, rectified_at=at, details=sealed
        )
        event = INTAKE.event(subject=request_id, time=at, data=of_request)
        staged.append((topics.SUPPORT_REQUESTS, event))
    return staged


def _metas(attachments: tuple[Attachment, ...]) -> tuple[AttachmentMeta, ...]:
    return tuple(
        AttachmentMeta(
            attachment_id=a.attachment_id,
            filename=a.filename,
            media_type=a.content_type,
            size=a.size,
            kept=a.kept,
        )
        for a in attachments
        if a.attachment_id
    )


async def request_received(
    request: SupportRequest,
    *,
    requester: ContactDetails,
    keys: KeyStore,
    attachments: tuple[Attachment, ...] = (),
) -> Staged:
    content = RequestContent(
        requester=requester,
        subject=request.subject,
        body=request.body,
        attachments=_metas(attachments),
    )
    data = RequestReceived(
        request_id=request.request_id,
        reference=request.reference,
        channel=request.channel,
        requester_id=request.requester_id,
        organisation_id=request.organisation_id,
        lawful_basis=request.lawful_basis,
        status=request.status,
        received_at=request.received_at,
        content=await seal(content, data_subject_id=request.requester_id, keys=keys),
    )
    return topics.SUPPORT_REQUESTS, INTAKE.event(
        subject=request.request_id,
        time=request.received_at,
        data=data,
    )


async def message_added(message: Message, *, keys: KeyStore) -> Staged:
    content = MessageContent(body=message.body, attachments=_metas(message.attachments))
    data = MessageAdded(
        request_id=message.request_id,
        message_id=message.message_id,
        requester_id=message.requester_id,
        channel=message.channel,
        author_role=message.author_role,
        author_id=message.author_id,
        added_at=message.added_at,
        content=await seal(content, data_subject_id=message.sealed_under, keys=keys),
    )
    return topics.SUPPORT_REQUESTS, INTAKE.event(
        subject=message.request_id,
        time=message.added_at,
        data=data,
    )


def status_changed(
    before: SupportRequest,
    after: SupportRequest,
    *,
    by_role: AuthorRole,
    by_id: str | None,
    at: datetime,
) -> Staged:
    data = StatusChanged(
        request_id=after.request_id,
        requester_id=after.requester_id,
        organisation_id=after.organisation_id,
        channel=after.channel,
        from_status=before.status,
        to_status=after.status,
        resolution=after.resolution,
        changed_by_role=by_role,
        changed_by=by_id,
        changed_at=at,
    )
    return topics.SUPPORT_REQUESTS, INTAKE.event(subject=after.request_id, time=at, data=data)


def organisation_changed(request: SupportRequest, *, at: datetime) -> Staged:
    """The request's organisation and lawful basis as access last decided them (P5, P7)."""
    data = OrganisationChanged(
        request_id=request.request_id,
        requester_id=request.requester_id,
        channel=request.channel,
        organisation_id=request.organisation_id,
        lawful_basis=request.lawful_basis,
        version=request.organisation_version,
        changed_at=at,
    )
    return topics.SUPPORT_REQUESTS, INTAKE.event(
        subject=request.request_id,
        time=at,
        data=data,
    )
