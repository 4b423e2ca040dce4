"""The support request as intake knows it (P1, P2, P5)."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from shared.events.intake import Channel, ContactDetails, LawfulBasis, RequestStatus


def normalise_email(email: str) -> str:
    """The matching key of an email address: Unicode NFC, trimmed, case-folded."""
    return unicodedata.normalize("NFC", email.strip()).casefold()


def new_reference() -> str:
    """A short, unguessable request reference a person can quote (and reply with by mail)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "SR-" + "".join(secrets.choice(alphabet) for _ in range(8))


def lawful_basis_for(organisation_id: str | None) -> LawfulBasis:
    """P5: contract for a customer organisation's representative, else legitimate interest."""
    return "contract" if organisation_id else "legitimate_interest"


@dataclass(frozen=True)
class Contact:
    """A request party, holding P2 fields only."""

    contact_id: str
    details: ContactDetails
    organisation_id: str | None = None


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
    last_activity_at: datetime | None = field(default=None)


def open_request(
    *, channel: Channel, requester: Contact, subject: str, body: str, received_at: datetime
) -> SupportRequest:
    """A new open request, its lawful basis decided by whom it comes from."""
    return SupportRequest(
        request_id=str(uuid4()),
        reference=new_reference(),
        channel=channel,
        requester_id=requester.contact_id,
        organisation_id=requester.organisation_id,
        lawful_basis=lawful_basis_for(requester.organisation_id),
        subject=subject,
        body=body,
        received_at=received_at,
        last_activity_at=received_at,
    )
