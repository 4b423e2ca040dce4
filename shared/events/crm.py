"""The CRM's events (P4, P7): a documented, versioned contract for an external producer (JSON
Schemas under docs/contracts/).

An outside CRM publishes on `crm.ingress` and needs no secret of ours: the order form's and the
contact events' details (P2) travel there in clear (`crm.ingress.contract_signed.v1`,
`crm.ingress.contact_upserted.v1`), next to the five event types that carry no personal data.
`crm.ingress` keeps records only days (`ACCESS_CRM_INGRESS_RETENTION_HOURS`); access seals the
details with each contact's own key and republishes every event on `crm.contracts` or
`crm.contacts`, where personal fields only travel sealed and `contact_id` is the contact's
data-subject id. Every event carries the time it happened in the CRM, so consumers can apply
events that arrive out of order (the latest statement per fact wins).
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared import topics
from shared.crypto import SealedPersonalData
from shared.events.base import EventData
from shared.events.intake import ContactDetails


def _official_contact_is_one_of(
    official_contact_id: str, contacts: tuple[OrderFormContact | PlainOrderFormContact, ...]
) -> None:
    if official_contact_id not in {contact.contact_id for contact in contacts}:
        raise ValueError("official_contact_id must name one of the order form's contacts")


class OrderFormContact(BaseModel):
    """One customer representative named on the order form; details seal a ContactDetails."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str = Field(min_length=1, description="The contact's id; its data-subject id.")
    details: SealedPersonalData = Field(
        description="ContactDetails (full_name, email, phone?, company?) sealed with contact_id."
    )

    @model_validator(mode="after")
    def _sealed_for_this_contact(self) -> Self:
        if self.details.data_subject_id != self.contact_id:
            raise ValueError("details must be sealed with the contact's own data-subject id")
        return self


class ContractSigned(EventData):
    """A customer signed: the organisation, its name, and the order form's contacts."""

    event_type = "crm.contract.signed.v1"
    topic = topics.CRM_CONTRACTS

    organisation_id: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=300, description="The organisation's name.")
    signed_at: AwareDatetime
    contacts: tuple[OrderFormContact, ...] = Field(min_length=1, max_length=100)
    official_contact_id: str = Field(
        min_length=1, description="Which of `contacts` is the official customer contact."
    )

    @model_validator(mode="after")
    def _official_contact_is_on_the_form(self) -> Self:
        _official_contact_is_one_of(self.official_contact_id, self.contacts)
        return self


class ContractTerminated(EventData):
    """The contract ends on `termination_date` (P7: purge 365 days later unless held)."""

    event_type = "crm.contract.terminated.v1"
    topic = topics.CRM_CONTRACTS

    organisation_id: str = Field(min_length=1)
    termination_date: dt.date
    terminated_at: AwareDatetime


class ContractReinstated(EventData):
    """A terminated contract is in force again (P7: the purge is cancelled)."""

    event_type = "crm.contract.reinstated.v1"
    topic = topics.CRM_CONTRACTS

    organisation_id: str = Field(min_length=1)
    reinstated_at: AwareDatetime


class ContactUpserted(EventData):
    """A customer representative was added or changed at the customer's request (P4)."""

    event_type = "crm.contact.upserted.v1"
    topic = topics.CRM_CONTACTS

    organisation_id: str = Field(min_length=1)
    contact_id: str = Field(min_length=1, description="The contact's id; its data-subject id.")
    upserted_at: AwareDatetime
    details: SealedPersonalData

    @model_validator(mode="after")
    def _sealed_for_this_contact(self) -> Self:
        if self.details.data_subject_id != self.contact_id:
            raise ValueError("details must be sealed with the contact's own data-subject id")
        return self


class ContactLeftOrganization(EventData):
    """A representative left the organisation; their sight of its requests ends (P6, P7)."""

    event_type = "crm.contact.left_organization.v1"
    topic = topics.CRM_CONTACTS

    organisation_id: str = Field(min_length=1)
    contact_id: str = Field(min_length=1)
    left_at: AwareDatetime


class OfficialContactAppointed(EventData):
    """A representative became an official customer contact of the organisation (P6)."""

    event_type = "crm.official_contact.appointed.v1"
    topic = topics.CRM_CONTACTS

    organisation_id: str = Field(min_length=1)
    contact_id: str = Field(min_length=1)
    appointed_at: AwareDatetime


class OfficialContactRevoked(EventData):
    """A representative is no longer an official customer contact of the organisation."""

    event_type = "crm.official_contact.revoked.v1"
    topic = topics.CRM_CONTACTS

    organisation_id: str = Field(min_length=1)
    contact_id: str = Field(min_length=1)
    revoked_at: AwareDatetime


class PlainOrderFormContact(BaseModel):
    """One representative on the order form, details in clear (on `crm.ingress` only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contact_id: str = Field(min_length=1, max_length=200, description="The CRM's contact id.")
    details: ContactDetails


class IngressContractSigned(EventData):
    """`crm.contract.signed.v1` as an outside CRM publishes it: the contacts' details in clear."""

    event_type = "crm.ingress.contract_signed.v1"
    topic = topics.CRM_INGRESS

    organisation_id: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=300, description="The organisation's name.")
    signed_at: AwareDatetime
    contacts: tuple[PlainOrderFormContact, ...] = Field(min_length=1, max_length=100)
    official_contact_id: str = Field(
        min_length=1, description="Which of `contacts` is the official customer contact."
    )

    @model_validator(mode="after")
    def _official_contact_is_on_the_form(self) -> Self:
        _official_contact_is_one_of(self.official_contact_id, self.contacts)
        return self


class IngressContactUpserted(EventData):
    """`crm.contact.upserted.v1` as an outside CRM publishes it: the details in clear."""

    event_type = "crm.ingress.contact_upserted.v1"
    topic = topics.CRM_INGRESS

    organisation_id: str = Field(min_length=1, max_length=200)
    contact_id: str = Field(min_length=1, max_length=200, description="The CRM's contact id.")
    upserted_at: AwareDatetime
    details: ContactDetails


INGRESS_EVENTS: tuple[type[EventData], ...] = (IngressContractSigned, IngressContactUpserted)

CRM_EVENTS: tuple[type[EventData], ...] = (
    ContractSigned,
    ContractTerminated,
    ContractReinstated,
    ContactUpserted,
    ContactLeftOrganization,
    OfficialContactAppointed,
    OfficialContactRevoked,
)
