"""The support request as intake knows it (P1, P2, P5)."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import uuid4

import phonenumbers

from shared.events.intake import (
    AuthorRole,
    Channel,
    ContactDetails,
    LawfulBasis,
    RequestStatus,
    Resolution,
)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8
REFERENCE_PATTERN = re.compile(r"\bSR-[A-Z0-9]{8}\b")

TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    "open": frozenset({"pending", "resolved", "closed"}),
    "pending": frozenset({"open", "resolved", "closed"}),
    "resolved": frozenset({"open", "closed"}),
    "closed": frozenset(),
}


class StatusChangeRefused(ValueError):
    """A status change the request's life cycle does not allow; the message names the rule."""


def normalise_email(email: str, *, fold_plus_addressing: bool = False) -> str:
    """The matching key of an email address: Unicode NFC, trimmed, case-folded; `+tag` dropped
    from the local part only when plus-addressing is folded."""
    normalised = unicodedata.normalize(
        "NFC", unicodedata.normalize("NFC", email.strip()).casefold()
    )
    if fold_plus_addressing and "@" in normalised:
        local, _, domain = normalised.rpartition("@")
        base = local.split("+", 1)[0]
        if base:
            normalised = f"{base}@{domain}"
    return normalised


def normalise_phone(number: str, *, default_region: str) -> str | None:
    """The E.164 form of a phone number, or None when it is not a possible number."""
    try:
        parsed = phonenumbers.parse(number, default_region.upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def new_reference() -> str:
    """A short, unguessable request reference a person can quote (and reply with by mail)."""
    number = secrets.randbelow(len(REFERENCE_ALPHABET) ** REFERENCE_LENGTH)  # one draw, not 8
    characters = []
    for _ in range(REFERENCE_LENGTH):
        number, digit = divmod(number, len(REFERENCE_ALPHABET))
        characters.append(REFERENCE_ALPHABET[digit])
    return "SR-" + "".join(characters)


def reference_in(text: str) -> str | None:
    """The first request reference (`SR-XXXXXXXX`) quoted in a text, e.g. a mail subject."""
    found = REFERENCE_PATTERN.search(text.upper())
    return found.group(0) if found else None


def lawful_basis_for(organisation_id: str | None) -> LawfulBasis:
    """P5: contract for a customer organisation's representative, else legitimate interest."""
    return "contract" if organisation_id else "legitimate_interest"


@dataclass(frozen=True)
class Contact:
    """A request party, holding P2 fields only. `organisation_ids` are the customer
    organisations its requests belong to (access decides them from the CRM; P5, P7).
    `correspondent_only`: someone who has only written on other people's threads (copied in,
    or replying), named so their export and erasure find it (P11); not announced, so no
    account, until their own first request (P3)."""

    contact_id: str
    details: ContactDetails
    organisation_ids: tuple[str, ...] = ()
    correspondent_only: bool = False


def new_contact(*, details: ContactDetails, correspondent_only: bool = False) -> Contact:
    return Contact(contact_id=str(uuid4()), details=details, correspondent_only=correspondent_only)


@dataclass(frozen=True)
class SupportRequest:
    """A request on one channel, by one requester, with its lawful basis."""

    request_id: str
    reference: str
    channel: Channel
    requester_id: str
    organisation_id: str | None
    lawful_basis: LawfulBasis
    subject: str
    body: str
    received_at: datetime
    status: RequestStatus = "open"
    resolution: Resolution | None = None
    last_activity_at: datetime | None = field(default=None)
    organisation_version: int = 0
    """The version of access's latest organisation decision applied (0: none yet)."""


@dataclass(frozen=True)
class Attachment:
    """What intake records of an attachment beside the message: its name, size and type. When
    `kept`, its content is stored apart, sealed with the requester's key (`attachments`)."""

    filename: str | None
    content_type: str
    size: int
    attachment_id: str = ""
    kept: bool = False


@dataclass(frozen=True)
class ReceivedFile:
    """A file as it came with a mail or a web submission (its bytes, before any decision)."""

    filename: str | None
    content_type: str
    content: bytes = field(repr=False)


KEPT_MEDIA_TYPES = frozenset(
    {"application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv"}
)
KEPT_MAX_BYTES = 5_000_000
KEPT_MAX_FILES = 5
KEPT_MAX_TOTAL_BYTES = 8_000_000
"""The files kept with one message are stored in the request's transaction: sealed, 8 MB of
files are about 10.7 MB, which leaves room for the rest under the embedded store's limit
(SecantusDB ends a transaction above about 12 MB; MongoDB has no such limit)."""


def attachments_of(
    files: tuple[ReceivedFile, ...], *, new_id: Callable[[], str]
) -> tuple[tuple[Attachment, ...], dict[str, bytes]]:
    """What is recorded of each file, and the content of those kept: at most five, each a PDF,
    an image or plain text of at most 5 MB, 8 MB in all (the rest are listed, not kept)."""
    recorded: list[Attachment] = []
    kept: dict[str, bytes] = {}
    for file in files:
        attachment_id = new_id()
        keep = (
            file.content_type in KEPT_MEDIA_TYPES
            and 0 < len(file.content) <= KEPT_MAX_BYTES
            and len(kept) < KEPT_MAX_FILES
            and sum(map(len, kept.values())) + len(file.content) <= KEPT_MAX_TOTAL_BYTES
        )
        name = (file.filename or "").replace("/", "_").replace("\\", "_")[:200] or None
        recorded.append(
            Attachment(
                filename=name,
                content_type=file.content_type,
                size=len(file.content),
                attachment_id=attachment_id,
                kept=keep,
            )
        )
        if keep:
            kept[attachment_id] = file.content
    return tuple(recorded), kept


@dataclass(frozen=True)
class Message:
    """One message on a request: the first text, a reply by mail, a call, a staff answer."""

    message_id: str
    request_id: str
    requester_id: str
    channel: Channel
    author_role: AuthorRole
    author_id: str | None
    body: str
    added_at: datetime
    attachments: tuple[Attachment, ...] = ()
    organisation_id: str | None = None

    @property
    def correspondent_id(self) -> str | None:
        """A contact of ours, not the requester, who wrote on the thread by mail (copied in,
        or replying): their export and erasure find it (P11). None for everyone else."""
        return self.author_id if self.author_role == "colleague" else None

    @property
    def sealed_under(self) -> str:
        """The key-store id sealing its content in events: the requester's, or for a
        correspondent's message a key of its own, shredded when the message goes (with its
        request, which it may quote, or with its author's erasure)."""
        if self.correspondent_id is None:
            return self.requester_id
        return message_key_id(self.message_id)


def message_key_id(message_id: str) -> str:
    """The key-store id sealing one correspondent's message (`Message.sealed_under`)."""
    return f"message-{message_id}"


def open_request(
    *, channel: Channel, requester: Contact, subject: str, body: str, received_at: datetime
) -> SupportRequest:
    """A new open request. Whether it is a customer's (P5: lawful basis contract) is access's
    decision from the CRM, applied when it arrives (`with_organisation`); until then it is not."""
    return SupportRequest(
        request_id=str(uuid4()),
        reference=new_reference(),
        channel=channel,
        requester_id=requester.contact_id,
        organisation_id=None,
        lawful_basis=lawful_basis_for(None),
        subject=subject,
        body=body,
        received_at=received_at,
        last_activity_at=received_at,
    )


def with_organisation(
    request: SupportRequest, *, organisation_id: str | None, version: int
) -> SupportRequest | None:
    """The request under access's decision `version`, or None if it holds that one or a newer."""
    if version <= request.organisation_version:
        return None
    return replace(
        request,
        organisation_id=organisation_id,
        lawful_basis=lawful_basis_for(organisation_id),
        organisation_version=version,
    )


def change_status(
    request: SupportRequest,
    *,
    to_status: RequestStatus,
    resolution: Resolution | None,
    at: datetime,
) -> SupportRequest:
    """The request after a status change, or StatusChangeRefused naming the rule it breaks."""
    if to_status not in TRANSITIONS[request.status]:
        raise StatusChangeRefused(f"status: {request.status} cannot become {to_status}")
    if to_status == "resolved" and resolution is None:
        raise StatusChangeRefused("resolution: required when a request is resolved")
    if resolution is not None and to_status not in {"resolved", "closed"}:
        raise StatusChangeRefused("resolution: only a resolved or closed request has one")
    return replace(request, status=to_status, resolution=resolution, last_activity_at=at)


def attachment_key_id(attachment_id: str) -> str:
    """The key-store id sealing one kept file: shredded when the file is deleted, so a file
    kept with its request (a legal hold, the customer's records) outlives its sender's key."""
    return f"attachment-{attachment_id}"
