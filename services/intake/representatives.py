"""Customer representatives who call (P1, P4): the customer's order form and the CRM's contact
events name each representative, often with a phone number. A call from that number is theirs
even when the agent logged no email: intake opens the request under the representative's own
details, and access then finds it the customer's (P5) as for a mail or a web form.

intake keeps, per organisation and CRM contact, only the number as a match key and the details
as the CRM's event sealed them (the contact's own key, so an erasure's shredding makes them
unreadable), and only while the contact is a member: leaving, the organisation's purge and the
person's erasure take the entry away. Statements apply latest first, as in access: one older
than the entry's arriving late changes nothing, and neither does one dated before the
organisation's purge (P7) or the contact's erasure (P11), which would bring back the number and
details the erasure took.

A statement also updates intake's contact of the person, if they wrote or called before (found
by the email it names): the customer's word on their representative's name and number is the
latest (P4). A number the CRM names for a member is theirs when it calls: it is matched before
the contacts' own numbers, so a number moved to another representative is not filed under the
person who had it before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from services.intake.handlers import Matching
from services.intake.ports import Contacts
from shared.crypto import KeyStore, SealedPersonalData, unseal
from shared.events.crm import ContactLeftOrganization, ContactUpserted, ContractSigned
from shared.events.intake import ContactDetails


class Representatives(Protocol):
    async def stated_at(self, *, organisation_id: str, contact_id: str) -> datetime | None:
        """When the CRM last said something of this contact in this organisation."""
        ...

    async def erased_at(self, *, organisation_id: str, contact_id: str) -> datetime | None:
        """When the organisation's entries, or the contact's, were last erased here, if they
        were; holds until commit."""
        ...

    async def named(
        self,
        *,
        organisation_id: str,
        contact_id: str,
        phone_e164: str | None,
        details: SealedPersonalData | None,
        at: datetime,
    ) -> None: ...

    async def by_phone(self, phone_e164: str) -> SealedPersonalData | None:
        """The details of the member most recently named with this number, if any."""
        ...


class RepresentativesUnitOfWork(Protocol):
    @property
    def representatives(self) -> Representatives: ...
    @property
    def contacts(self) -> Contacts: ...


async def contract_signed(
    signed: ContractSigned,
    *,
    uow: RepresentativesUnitOfWork,
    keys: KeyStore,
    matching: Matching,
) -> None:
    """The order form's contacts, each with their number (if they gave one)."""
    for contact in signed.contacts:
        await _named(
            uow,
            organisation_id=signed.organisation_id,
            contact_id=contact.contact_id,
            details=contact.details,
            at=signed.signed_at,
            keys=keys,
            matching=matching,
        )


async def contact_upserted(
    upserted: ContactUpserted,
    *,
    uow: RepresentativesUnitOfWork,
    keys: KeyStore,
    matching: Matching,
) -> None:
    await _named(
        uow,
        organisation_id=upserted.organisation_id,
        contact_id=upserted.contact_id,
        details=upserted.details,
        at=upserted.upserted_at,
        keys=keys,
        matching=matching,
    )


async def contact_left(left: ContactLeftOrganization, *, uow: RepresentativesUnitOfWork) -> None:
    """No longer a member: their number and details go (the entry keeps only when)."""
    if await _older_than_an_erasure(uow, left.organisation_id, left.contact_id, at=left.left_at):
        return
    stated = await uow.representatives.stated_at(
        organisation_id=left.organisation_id, contact_id=left.contact_id
    )
    if stated is not None and stated > left.left_at:
        return
    await uow.representatives.named(
        organisation_id=left.organisation_id,
        contact_id=left.contact_id,
        phone_e164=None,
        details=None,
        at=left.left_at,
    )


async def caller_details(
    phone_e164: str, *, caller_name: str | None, uow: RepresentativesUnitOfWork, keys: KeyStore
) -> ContactDetails | None:
    """The representative a number names, as the CRM gave them (the name the agent logged, if
    any, wins); None if it names nobody, or only someone erased."""
    sealed = await uow.representatives.by_phone(phone_e164)
    opened = await unseal(sealed, ContactDetails, keys=keys) if sealed is not None else None
    if opened is None:
        return None
    named = {"full_name": caller_name} if caller_name else {}
    return opened.model_copy(update={**named, "phone": phone_e164})


async def _named(
    uow: RepresentativesUnitOfWork,
    *,
    organisation_id: str,
    contact_id: str,
    details: SealedPersonalData,
    at: datetime,
    keys: KeyStore,
    matching: Matching,
) -> None:
    if await _older_than_an_erasure(uow, organisation_id, contact_id, at=at):
        return
    stated = await uow.representatives.stated_at(
        organisation_id=organisation_id, contact_id=contact_id
    )
    if stated is not None and stated > at:
        return
    opened = await unseal(details, ContactDetails, keys=keys)
    phone = matching.phone_key(opened.phone) if opened is not None else None
    await uow.representatives.named(
        organisation_id=organisation_id,
        contact_id=contact_id,
        phone_e164=phone,
        details=details if phone is not None else None,
        at=at,
    )
    if opened is not None:
        await _contact_follows(opened, at=at, contacts=uow.contacts, matching=matching)


async def _older_than_an_erasure(
    uow: RepresentativesUnitOfWork, organisation_id: str, contact_id: str, *, at: datetime
) -> bool:
    erased = await uow.representatives.erased_at(
        organisation_id=organisation_id, contact_id=contact_id
    )
    return erased is not None and at <= erased


async def _contact_follows(
    stated: ContactDetails, *, at: datetime, contacts: Contacts, matching: Matching
) -> None:
    """P4: intake's contact of the person (by the email the CRM names) takes the name, number
    and company the customer gave, unless it took a later statement already; a number or
    company the CRM leaves out stays as the person gave it, and the email, by which they are
    matched, stays."""
    contact = await contacts.by_email(matching.email_key(str(stated.email)))
    if contact is None:
        return
    now = contact.details.model_copy(
        update={
            "full_name": stated.full_name,
            "phone": stated.phone or contact.details.phone,
            "company": stated.company or contact.details.company,
        }
    )
    if now != contact.details:
        await contacts.follow_statement(
            replace(contact, details=now), phone_key=matching.phone_key(now.phone), at=at
        )
