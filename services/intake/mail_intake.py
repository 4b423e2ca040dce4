"""The email channel's consumer: a raw mail from `intake.email` becomes a request, a message on
the request it answers, or nothing (auto-replies, loops, duplicates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.intake import handlers
from services.intake.domain import SupportRequest, reference_in
from services.intake.handlers import Matching, mail_key
from services.intake.mime import ParsedMail
from services.intake.ports import IntakeUnitOfWork
from shared.crypto import KeyStore
from shared.events.intake import ContactDetails


@dataclass(frozen=True)
class MailOutcome:
    """What became of a mail: `opened`, `threaded`, `duplicate` or `ignored` (with reason)."""

    kind: str
    reason: str | None = None
    request_id: str | None = None
    requester_id: str | None = None
    organisation_id: str | None = None
    correspondent_id: str | None = None
    """A threaded mail's sender, when a contact of ours other than the requester."""


class RawMails(Protocol):
    async def keep(
        self,
        *,
        mail_id: str,
        outcome: MailOutcome,
        received_at: datetime,
        size: int,
        raw: bytes | None,
    ) -> None: ...


@dataclass(frozen=True)
class MailPolicy:
    """What the email channel needs to know about itself."""

    own_addresses: frozenset[str]
    mail_domain: str
    max_body_chars: int
    matching: Matching


async def receive_mail(
    *,
    mail: ParsedMail,
    received_at: datetime,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    policy: MailPolicy,
) -> MailOutcome:
    """Turn one parsed mail into a request or a message on its thread (P1)."""
    if mail.automated is not None:
        return MailOutcome("ignored", reason=mail.automated)
    sender = mail.sender_email
    if sender is None:
        return MailOutcome("ignored", reason="no_sender")
    if policy.matching.email_key(sender) in policy.own_addresses:
        return MailOutcome("ignored", reason="own_sender")
    details = _details(mail, sender)
    if details is None:
        return MailOutcome("ignored", reason="invalid_sender")
    if mail.message_id and await uow.channel_items.request_for(mail_key(mail.message_id)):
        return MailOutcome("duplicate", reason="message_id_seen")
    try:  # a mail from before its sender's erasure, read after it, brings nobody back
        email_key = policy.matching.email_key(sender)
        await handlers.not_erased_since(received_at, uow=uow, keys=keys, email_key=email_key)
    except handlers.ContactErased:
        return MailOutcome("ignored", reason="sender_erased")
    body = mail.body[: policy.max_body_chars] or "(no text)"
    request = await _thread_of(mail, uow)
    if request is not None:
        # someone else on the thread (copied in, or replying) is its correspondent, named
        # (kept as a contact if new to us) so their export and erasure find what they wrote
        author = await uow.contacts.by_email(policy.matching.email_key(sender))
        if author is None:
            author = await handlers.register_correspondent(
                details=details, uow=uow, matching=policy.matching
            )
        is_requester = author.contact_id == request.requester_id
        added = await handlers.add_message(
            request=request,
            body=body,
            channel="email",
            author_role="requester" if is_requester else "colleague",
            author_id=author.contact_id,
            at=received_at,
            uow=uow,
            keys=keys,
            files=mail.files,
        )
        outcome = MailOutcome(
            "threaded",
            request_id=request.request_id,
            requester_id=request.requester_id,
            organisation_id=request.organisation_id,
            correspondent_id=added.correspondent_id,
        )
    else:
        submitted = await handlers.submit_request(
            channel="email",
            requester=details,
            subject=(mail.subject or "(no subject)")[:300],
            body=body,
            received_at=received_at,
            uow=uow,
            keys=keys,
            matching=policy.matching,
            mail_domain=policy.mail_domain,
            files=mail.files,
        )
        outcome = MailOutcome(
            "opened",
            request_id=submitted.request.request_id,
            requester_id=submitted.contact.contact_id,
        )
    if mail.message_id and outcome.request_id and outcome.requester_id:
        await uow.channel_items.remember(
            mail_key(mail.message_id),
            request_id=outcome.request_id,
            requester_id=outcome.requester_id,
            organisation_id=outcome.organisation_id,
        )
    return outcome


async def _thread_of(mail: ParsedMail, uow: IntakeUnitOfWork) -> SupportRequest | None:
    """The request a reply belongs to: by In-Reply-To/References, else by the subject's token."""
    for message_id in (*mail.in_reply_to, *reversed(mail.references)):
        request_id = await uow.channel_items.request_for(mail_key(message_id))
        if request_id is not None:
            found = await uow.requests.get(request_id)
            if found is not None:
                return found
    reference = reference_in(mail.subject)
    return None if reference is None else await uow.requests.by_reference(reference)


def _details(mail: ParsedMail, sender: str) -> ContactDetails | None:
    name = (mail.sender_name or sender.split("@", 1)[0]).strip()[:200] or "unknown"
    try:
        return ContactDetails(full_name=name, email=sender)
    except ValueError:
        return None
