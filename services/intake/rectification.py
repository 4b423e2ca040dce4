"""Rectification of intake's contact record (P11): the person's corrected P2 details."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal, Protocol

from services.intake.domain import Contact
from services.intake.handlers import Matching
from shared.events.intake import ContactDetails

Rectified = Literal["rectified", "email_kept", "unknown_contact"]


class RectifiableContacts(Protocol):
    async def get(self, contact_id: str) -> Contact | None: ...
    async def by_email(self, normalised_email: str) -> Contact | None: ...
    async def replace_details(
        self, contact: Contact, *, email_key: str | None, phone_key: str | None, at: datetime
    ) -> None: ...


async def rectify_contact(
    *,
    contact_id: str,
    details: ContactDetails,
    contacts: RectifiableContacts,
    matching: Matching,
    at: datetime,
) -> Rectified:
    """Replace a contact's P2 fields as the person stated them `at` (a customer's statement
    made before then no longer replaces them); an email another contact matches on is not
    taken over."""
    contact = await contacts.get(contact_id)
    if contact is None:
        return "unknown_contact"
    wanted = matching.email_key(str(details.email))
    email_key: str | None = wanted
    holder = await contacts.by_email(wanted)
    if holder is not None and holder.contact_id != contact_id:
        details = details.model_copy(update={"email": contact.details.email})
        email_key = None
    await contacts.replace_details(
        replace(contact, details=details),
        email_key=email_key,
        phone_key=matching.phone_key(details.phone),
        at=at,
    )
    return "rectified" if email_key is not None else "email_kept"
