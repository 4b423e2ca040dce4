"""The CRM's way in without our secrets (P4): events on `crm.ingress`, contact details in clear,
sealed here with each contact's own key and republished on `crm.contracts` or `crm.contacts`.

`crm.ingress` keeps records only days (its retention is set when access starts). The republished
event keeps the CRM's `source`, `subject` and `time`; its `id` is derived from the CRM's, so a
redelivered ingress record republishes the same event, which every consumer then skips.

Contact details the CRM dated before their organisation's purge (P7), or before the contact's
own erasure (P11), are not sealed again: the erasure shredded their keys, sealing would make new
ones, and every consumer would ignore the statement anyway (`customers.older_than_an_erasure`).
Such a record is dropped, and such a contact is left out of an order form (the whole form, if
it is its official contact: access knew the contract before it could erase them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel

from services.access.customers import older_than_an_erasure
from services.access.ports import AccessUnitOfWork
from shared.crypto import KeyStore, seal
from shared.events import CloudEvent, EventData, EventSchemaError
from shared.events.crm import (
    CRM_EVENTS,
    ContactUpserted,
    ContractSigned,
    IngressContactUpserted,
    IngressContractSigned,
    OrderFormContact,
)

PASSED_THROUGH: dict[str, type[EventData]] = {model.event_type: model for model in CRM_EVENTS}
"""CRM event types without personal data, accepted on `crm.ingress` as they are."""


def republished_id(ingress_id: UUID) -> UUID:
    """The id of the sealed event republished for an ingress event: the same every time."""
    return uuid5(NAMESPACE_URL, f"urn:support:crm-ingress:{ingress_id}")


Stale = Callable[[str, str | None, datetime], Awaitable[bool]]
"""Whether a statement about an organisation (or a contact in it), made at a time, is older
than an erasure of theirs (`customers.older_than_an_erasure`)."""


async def sealed(
    event: CloudEvent, *, keys: KeyStore, stale: Stale
) -> tuple[type[EventData], BaseModel] | None:
    """The CRM event an ingress event stands for, its personal fields sealed: without the
    contacts it states before their erasure; None if it is older than the organisation's
    purge, or than the erasure of the contact it names (an order form's official contact)."""
    if event.type == IngressContractSigned.event_type:
        signed = IngressContractSigned.from_event(event)
        organisation_id, at = signed.organisation_id, signed.signed_at
        if await stale(organisation_id, None, at):
            return None
        named = [c for c in signed.contacts if not await stale(organisation_id, c.contact_id, at)]
        if signed.official_contact_id not in {contact.contact_id for contact in named}:
            return None  # older than its official contact's erasure: no valid form is left
        contacts = [
            OrderFormContact(
                contact_id=contact.contact_id,
                details=await seal(contact.details, data_subject_id=contact.contact_id, keys=keys),
            )
            for contact in named
        ]
        return ContractSigned, ContractSigned(
            **{**signed.model_dump(exclude={"contacts"}), "contacts": tuple(contacts)}
        )
    if event.type == IngressContactUpserted.event_type:
        upserted = IngressContactUpserted.from_event(event)
        if await stale(upserted.organisation_id, upserted.contact_id, upserted.upserted_at):
            return None
        details = await seal(upserted.details, data_subject_id=upserted.contact_id, keys=keys)
        return ContactUpserted, ContactUpserted(
            **{**upserted.model_dump(exclude={"details"}), "details": details}
        )
    model = PASSED_THROUGH.get(event.type)
    if model is None:
        raise EventSchemaError(f"type: {event.type} is not a CRM event")
    return model, model.from_event(event)  # no personal data: its consumers judge its time


async def republish_sealed(event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore) -> None:
    """Seal an ingress event's contact details and stage the CRM event on its own topic."""

    async def stale(organisation_id: str, contact_id: str | None, at: datetime) -> bool:
        return await older_than_an_erasure(uow, organisation_id, contact_id, at=at)

    found = await sealed(event, keys=keys, stale=stale)
    if found is None:
        return
    model, data = found
    await uow.publish(
        model.topic,
        CloudEvent(
            id=republished_id(event.id),
            source=event.source,
            type=model.event_type,
            subject=event.subject,
            time=event.time,
            data=data.model_dump(mode="json"),
        ),
    )
