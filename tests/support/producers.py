"""Events as the outside systems publish them, built from their documented contracts only: a
CRM on `crm.ingress` (contact details in clear, no secret of ours), a telephony system on
`intake.phone`, the legal system on `legal.holds`. Tests of a policy rule start here (or at
intake's HTTP form and SMTP server), never at an event one of our services would publish."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import uuid4

from shared import topics
from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.channels import PhoneCallLogged
from shared.events.crm import (
    ContactLeftOrganization,
    ContractReinstated,
    ContractTerminated,
    IngressContactUpserted,
    IngressContractSigned,
    PlainOrderFormContact,
)
from shared.events.intake import ContactDetails
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased, LegalHoldScope

CRM = "/crm/example"


@dataclass(frozen=True)
class Person:
    """Someone who writes in: P2 details and a unique tag to find them by."""

    full_name: str
    email: str
    phone: str | None = None

    @classmethod
    def new(cls, name: str, *, phone: str | None = None) -> Person:
        tag = uuid4().hex[:8]
        return cls(f"{name} {tag}", f"{name.split()[0].lower()}.{tag}@example.org", phone)

    @property
    def details(self) -> ContactDetails:
        return ContactDetails(full_name=self.full_name, email=self.email, phone=self.phone)

    @property
    def values(self) -> list[str]:
        """What a scan for this person looks for."""
        return [self.full_name, self.email, *([self.phone] if self.phone else [])]

    def web_form(self, subject: str = "Cannot open the course page") -> dict[str, str]:
        form = {"full_name": self.full_name, "email": self.email, "subject": subject}
        form["body"] = f"{subject}: it shows an error since this morning."
        return form | ({"phone": self.phone} if self.phone else {})


def _event(data: EventData, *, subject: str, time: datetime, source: str = CRM) -> CloudEvent:
    return CloudEvent.of(source=source, type=data.event_type, subject=subject, time=time, data=data)


def contract_signed(
    organisation_id: str,
    *,
    representatives: dict[str, Person],
    official: str,
    signed_at: datetime,
) -> tuple[str, CloudEvent]:
    """The order form, on crm.ingress: each representative's details in clear."""
    data = IngressContractSigned(
        organisation_id=organisation_id,
        name=f"Customer {organisation_id}",
        signed_at=signed_at,
        contacts=tuple(
            PlainOrderFormContact(contact_id=contact_id, details=person.details)
            for contact_id, person in representatives.items()
        ),
        official_contact_id=official,
    )
    return topics.CRM_INGRESS, _event(data, subject=organisation_id, time=signed_at)


def contact_upserted(
    organisation_id: str, contact_id: str, person: Person, *, at: datetime
) -> tuple[str, CloudEvent]:
    data = IngressContactUpserted(
        organisation_id=organisation_id,
        contact_id=contact_id,
        upserted_at=at,
        details=person.details,
    )
    return topics.CRM_INGRESS, _event(data, subject=organisation_id, time=at)


def contact_left(organisation_id: str, contact_id: str, *, at: datetime) -> tuple[str, CloudEvent]:
    data = ContactLeftOrganization(
        organisation_id=organisation_id, contact_id=contact_id, left_at=at
    )
    return topics.CRM_INGRESS, _event(data, subject=organisation_id, time=at)


def contract_terminated(
    organisation_id: str, *, termination_date: date, at: datetime
) -> tuple[str, CloudEvent]:
    data = ContractTerminated(
        organisation_id=organisation_id, termination_date=termination_date, terminated_at=at
    )
    return topics.CRM_INGRESS, _event(data, subject=organisation_id, time=at)


def contract_reinstated(organisation_id: str, *, at: datetime) -> tuple[str, CloudEvent]:
    data = ContractReinstated(organisation_id=organisation_id, reinstated_at=at)
    return topics.CRM_INGRESS, _event(data, subject=organisation_id, time=at)


def hold_placed(kind: str, scope_id: str, *, at: datetime) -> tuple[str, CloudEvent]:
    hold_id = f"hold-{uuid4().hex[:8]}"
    data = LegalHoldPlaced(
        hold_id=hold_id,
        scope=LegalHoldScope(kind=kind, id=scope_id),  # type: ignore[arg-type]
        reason="contractual_dispute",
        case_reference="CASE-1",
        placed_by="legal-officer-7",
        placed_at=at,
    )
    return topics.LEGAL_HOLDS, _event(data, subject=hold_id, time=at, source="/legal/cases")


def hold_released(hold_id: str, *, at: datetime) -> tuple[str, CloudEvent]:
    data = LegalHoldReleased(hold_id=hold_id, released_by="legal-officer-7", released_at=at)
    return topics.LEGAL_HOLDS, _event(data, subject=hold_id, time=at, source="/legal/cases")


def phone_call(
    person: Person,
    *,
    at: datetime,
    notes: str = "Asked how to reset a password.",
    with_email: bool = True,
) -> tuple[str, CloudEvent]:
    """A call as the telephony system logs it on intake.phone (details in clear; the agent
    may log only the caller's number and name)."""
    call_id = f"call-{uuid4().hex[:10]}"
    data = PhoneCallLogged(
        call_id=call_id,
        caller_number=person.phone or "+47 22 33 44 55",
        caller_name=person.full_name,
        caller_email=person.email if with_email else None,
        agent_id="agent-1",
        call_started_at=at,
        call_ended_at=at,
        notes=notes,
    )
    return topics.PHONE_INTAKE, _event(data, subject=call_id, time=at, source="/telephony/pbx")
