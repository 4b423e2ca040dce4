"""intake's command handlers: plain async functions of (command, dependencies)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import uuid4

from services.intake import events
from services.intake.domain import (
    Contact,
    Message,
    ReceivedFile,
    SupportRequest,
    attachment_key_id,
    attachments_of,
    change_status,
    new_contact,
    normalise_email,
    normalise_phone,
    open_request,
)
from services.intake.ports import Acknowledgement, IntakeUnitOfWork
from shared.crypto import KeyStore, keyed_hash, seal
from shared.events.intake import (
    AttachmentContent,
    AuthorRole,
    Channel,
    ContactDetails,
    RequestStatus,
    Resolution,
)


@dataclass(frozen=True)
class Matching:
    """How contacts are matched: plus-addressing folded or not, region of national numbers."""

    fold_plus_addressing: bool = False
    default_phone_region: str = "NO"

    def email_key(self, email: str) -> str:
        return normalise_email(email, fold_plus_addressing=self.fold_plus_addressing)

    def phone_key(self, phone: str | None) -> str | None:
        return (
            None
            if phone is None
            else normalise_phone(phone, default_region=self.default_phone_region)
        )


ERASED_ADDRESSES_KEY = "intake-erased-addresses"
"""The key-store key under which the addresses of the contacts intake deleted are remembered as
keyed hashes (never the addresses themselves)."""


class ContactErased(Exception):
    """The details were given before their person's contact here was erased: a call or mail
    from before the erasure, read after it (each topic at its own pace), registers nobody."""


async def address_marks(
    keys: KeyStore, *, email_key: str | None, phone_key: str | None
) -> list[str]:
    """How an erased contact's addresses (as `Matching` keys them) are remembered: keyed hashes
    (`erasure_progress.ERASED_ADDRESSES`), so a late call or mail can be told from a new one."""
    key = await keys.key_for(ERASED_ADDRESSES_KEY)
    given = (("email", email_key), ("phone", phone_key))
    return [keyed_hash(key=key, purpose=purpose, value=value) for purpose, value in given if value]


async def not_erased_since(
    at: datetime,
    *,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    email_key: str | None = None,
    phone_key: str | None = None,
) -> None:
    """Raise `ContactErased` if a contact with this email (or number) was erased at or after
    `at`, when a call or mail read at its own pace was given: what it says predates the erasure
    (and would bring the person back), even if they have written in again since."""
    marks = await address_marks(keys, email_key=email_key, phone_key=phone_key)
    erased = await uow.contacts.erased_at(marks)
    if erased is not None and erased >= at:
        raise ContactErased()


@dataclass(frozen=True)
class Submitted:
    request: SupportRequest
    contact: Contact
    registered: bool


async def find_or_register(
    *,
    details: ContactDetails,
    at: datetime,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    matching: Matching,
    phone_key: str | None = None,
) -> tuple[Contact, bool]:
    """The contact with this email (registered and announced once if unknown, P3). `phone_key`:
    the details' phone as `matching` keys it, when the caller has it already."""
    phone_key = phone_key or matching.phone_key(details.phone)
    email_key = matching.email_key(str(details.email))
    contact = await uow.contacts.by_email(email_key)
    if contact is not None:
        if phone_key and contact.details.phone is None:
            contact = replace(
                contact, details=contact.details.model_copy(update={"phone": details.phone})
            )
            await uow.contacts.set_phone(contact, phone_key=phone_key)
        if not contact.correspondent_only:
            return contact, False
        # they wrote only on others' threads so far: their first request makes them known (P3)
        contact = replace(contact, correspondent_only=False)
        await uow.contacts.announced(contact.contact_id)
        await uow.publish(*await events.contact_registered(contact, at=at, keys=keys))
        return contact, True
    contact = new_contact(details=details)
    await keys.create_key(contact.contact_id)
    await uow.contacts.add(contact, email_key=email_key, phone_key=phone_key)
    await uow.publish(*await events.contact_registered(contact, at=at, keys=keys))
    return contact, True


async def register_correspondent(
    *, details: ContactDetails, uow: IntakeUnitOfWork, matching: Matching
) -> Contact:
    """Someone we do not know who wrote on a request's thread (copied in, or replying): kept
    as a contact, not announced (no account: they filed no request, P3), so that what they
    wrote is theirs to export and erase (P11) and goes with the last request it is on (P8).
    Nothing is sealed under their own key until they file a request: no key is made."""
    contact = new_contact(details=details, correspondent_only=True)
    await uow.contacts.add(
        contact, email_key=matching.email_key(str(details.email)), phone_key=None
    )
    return contact


async def submit_request(
    *,
    channel: Channel,
    requester: ContactDetails,
    subject: str,
    body: str,
    received_at: datetime,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    matching: Matching,
    mail_domain: str,
    files: tuple[ReceivedFile, ...] = (),
    contact: Contact | None = None,
) -> Submitted:
    """Store a new request from a person (found or registered as a contact), announce it and
    queue its acknowledgement mail."""
    registered = False
    if contact is None:
        contact, registered = await find_or_register(
            details=requester, at=received_at, uow=uow, keys=keys, matching=matching
        )
    request = open_request(
        channel=channel, requester=contact, subject=subject, body=body, received_at=received_at
    )
    await uow.requests.add(request)
    attachments, kept = attachments_of(files, new_id=lambda: str(uuid4()))
    first = Message(
        message_id=str(uuid4()),
        request_id=request.request_id,
        requester_id=contact.contact_id,
        channel=channel,
        author_role="requester",
        author_id=contact.contact_id,
        body=body,
        added_at=received_at,
        attachments=attachments,
        organisation_id=request.organisation_id,
    )
    await uow.messages.add(first)
    await _keep_files(first, kept, uow=uow, keys=keys)
    await uow.publish(
        *await events.request_received(
            request, requester=requester, keys=keys, attachments=attachments
        )
    )
    acknowledgement = Acknowledgement(
        request_id=request.request_id,
        requester_id=contact.contact_id,
        to=str(contact.details.email),
        reference=request.reference,
        subject=f"[{request.reference}] {subject}"[:300],
        message_id=f"<ack.{request.request_id}@{mail_domain}>",
        queued_at=received_at,
    )
    await uow.acknowledgements.queue(acknowledgement)
    await uow.channel_items.remember(
        mail_key(acknowledgement.message_id),
        request_id=request.request_id,
        requester_id=contact.contact_id,
        organisation_id=request.organisation_id,
    )
    return Submitted(request=request, contact=contact, registered=registered)


async def add_message(
    *,
    request: SupportRequest,
    body: str,
    channel: Channel,
    author_role: AuthorRole,
    author_id: str | None,
    at: datetime,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    files: tuple[ReceivedFile, ...] = (),
) -> Message:
    """Add a message to a request and announce it; a requester writing to a resolved request
    reopens it."""
    attachments, kept = attachments_of(files, new_id=lambda: str(uuid4()))
    message = Message(
        message_id=str(uuid4()),
        request_id=request.request_id,
        requester_id=request.requester_id,
        channel=channel,
        author_role=author_role,
        author_id=author_id,
        body=body,
        added_at=at,
        attachments=attachments,
        organisation_id=request.organisation_id,
    )
    await uow.messages.add(message)
    await _keep_files(message, kept, uow=uow, keys=keys)
    await uow.publish(*await events.message_added(message, keys=keys))
    updated = replace(request, last_activity_at=at)
    if author_role == "requester" and request.status == "resolved":
        updated = change_status(updated, to_status="open", resolution=None, at=at)
        await uow.publish(
            *events.status_changed(request, updated, by_role=author_role, by_id=author_id, at=at)
        )
    await uow.requests.save(updated)
    return message


async def _keep_files(
    message: Message, kept: dict[str, bytes], *, uow: IntakeUnitOfWork, keys: KeyStore
) -> None:
    """The kept files' content, each sealed with its own key (gone when the file is: a file
    kept with its request outlives its sender's erasure, like the raw mail)."""
    for attachment in message.attachments:
        if attachment.attachment_id not in kept:
            continue
        content = AttachmentContent(
            content_base64=base64.b64encode(kept[attachment.attachment_id]).decode()
        )
        await uow.attachments.keep(
            attachment,
            message=message,
            content=await seal(
                content, data_subject_id=attachment_key_id(attachment.attachment_id), keys=keys
            ),
        )


async def set_status(
    *,
    request: SupportRequest,
    to_status: RequestStatus,
    resolution: Resolution | None,
    by_role: AuthorRole,
    by_id: str | None,
    at: datetime,
    uow: IntakeUnitOfWork,
) -> SupportRequest:
    """Move a request in its life cycle (StatusChangeRefused if the move is not allowed)."""
    updated = change_status(request, to_status=to_status, resolution=resolution, at=at)
    await uow.requests.save(updated)
    await uow.publish(*events.status_changed(request, updated, by_role=by_role, by_id=by_id, at=at))
    return updated


def mail_key(message_id: str) -> str:
    """The channel-item key of a Message-ID: angle brackets and case do not matter."""
    return "mail:" + message_id.strip().strip("<>").strip().casefold()


def call_key(call_id: str) -> str:
    return "call:" + call_id
