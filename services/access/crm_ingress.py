"""The CRM's way in without our secrets (P4): events on `crm.ingress`, contact details in clear,
sealed here with each contact's own key and republished on `crm.contracts` or `crm.contacts`.

`crm.ingress` keeps records only days (its retention is set when access starts). The republished
event keeps the CRM's `source`, `subject` and `time`; its `id` is derived from the CRM's, so a
redelivered ingress record republishes the same event, which every consumer then skips.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel

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


async def sealed(event: CloudEvent, *, keys: KeyStore) -> tuple[type[EventData], BaseModel]:
    """The CRM event an ingress event stands for, its personal fields sealed."""
    if event.type == IngressContractSigned.event_type:
        signed = IngressContractSigned.from_event(event)
        contacts = [
            OrderFormContact(
                contact_id=contact.contact_id,
                details=await seal(contact.details, data_subject_id=contact.contact_id, keys=keys),
            )
            for contact in signed.contacts
        ]
        return ContractSigned, ContractSigned(
            **{**signed.model_dump(exclude={"contacts"}), "contacts": tuple(contacts)}
        )
    if event.type == IngressContactUpserted.event_type:
        upserted = IngressContactUpserted.from_event(event)
        details = await seal(upserted.details, data_subject_id=upserted.contact_id, keys=keys)
        return ContactUpserted, ContactUpserted(
            **{**upserted.model_dump(exclude={"details"}), "details": details}
        )
    model = PASSED_THROUGH.get(event.type)
    if model is None:
        raise EventSchemaError(f"type: {event.type} is not a CRM event")
    return model, model.from_event(event)


async def republish_sealed(event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore) -> None:
    """Seal an ingress event's contact details and stage the CRM event on its own topic."""
    model, data = await sealed(event, keys=keys)
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
