"""One valid example of every documented event type, for docs/contracts/ and the hostile
producers' tests: made-up customers and contacts, sealed details as they look on the wire."""

from __future__ import annotations

from datetime import UTC, date, datetime

from shared.crypto import SealedPersonalData
from shared.events.access import (
    AccountContactsLinked,
    RequestContentRead,
    RequestOrganisationDecided,
    RequestReadOn,
    ShareGranted,
    ShareRevoked,
)
from shared.events.base import EventData
from shared.events.crm import (
    ContactLeftOrganization,
    ContactUpserted,
    ContractReinstated,
    ContractSigned,
    ContractTerminated,
    IngressContactUpserted,
    IngressContractSigned,
    OfficialContactAppointed,
    OfficialContactRevoked,
    OrderFormContact,
    PlainOrderFormContact,
)
from shared.events.intake import ContactDetails
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased, LegalHoldScope

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-4711"


def _sealed(contact_id: str) -> SealedPersonalData:
    """What a sealed ContactDetails looks like (AES-GCM with the contact's own key)."""
    return SealedPersonalData(
        data_subject_id=contact_id,
        nonce="q83vEjRWeJASNFZ4",
        ciphertext="3q2+7wAAAAAAAAAAAAAAAExPUkVNIElQU1VNIChzZWFsZWQgZGV0YWlscyk=",
    )


def _plain(name: str) -> ContactDetails:
    """A made-up representative, as the CRM sends it on crm.ingress."""
    return ContactDetails(
        full_name=f"{name} Example",
        email=f"{name.lower()}@customer.example",
        phone="+47 22 00 00 00",
    )


def examples() -> list[tuple[str, str, EventData]]:
    """(topic, subject, data) of one valid event per documented type."""
    return [
        (
            "crm.ingress",
            ORG,
            IngressContractSigned(
                organisation_id=ORG,
                name="Example Customer AS",
                signed_at=AT,
                contacts=(
                    PlainOrderFormContact(contact_id="crm-contact-1", details=_plain("Olga")),
                    PlainOrderFormContact(contact_id="crm-contact-2", details=_plain("Rita")),
                ),
                official_contact_id="crm-contact-1",
            ),
        ),
        (
            "crm.ingress",
            ORG,
            IngressContactUpserted(
                organisation_id=ORG,
                contact_id="crm-contact-3",
                upserted_at=AT,
                details=_plain("Nils"),
            ),
        ),
        (
            "crm.contracts",
            ORG,
            ContractSigned(
                organisation_id=ORG,
                name="Example Customer AS",
                signed_at=AT,
                contacts=(
                    OrderFormContact(contact_id="crm-contact-1", details=_sealed("crm-contact-1")),
                    OrderFormContact(contact_id="crm-contact-2", details=_sealed("crm-contact-2")),
                ),
                official_contact_id="crm-contact-1",
            ),
        ),
        (
            "crm.contracts",
            ORG,
            ContractTerminated(
                organisation_id=ORG, termination_date=date(2026, 12, 31), terminated_at=AT
            ),
        ),
        ("crm.contracts", ORG, ContractReinstated(organisation_id=ORG, reinstated_at=AT)),
        (
            "crm.contacts",
            ORG,
            ContactUpserted(
                organisation_id=ORG,
                contact_id="crm-contact-3",
                upserted_at=AT,
                details=_sealed("crm-contact-3"),
            ),
        ),
        (
            "crm.contacts",
            ORG,
            ContactLeftOrganization(organisation_id=ORG, contact_id="crm-contact-2", left_at=AT),
        ),
        (
            "crm.contacts",
            ORG,
            OfficialContactAppointed(
                organisation_id=ORG, contact_id="crm-contact-3", appointed_at=AT
            ),
        ),
        (
            "crm.contacts",
            ORG,
            OfficialContactRevoked(organisation_id=ORG, contact_id="crm-contact-1", revoked_at=AT),
        ),
        (
            "access.audit",
            "request-1",
            ShareGranted(
                grant_id="grant-1",
                request_id="request-1",
                colleague_id="staff-7",
                granted_by="staff-2",
                granted_at=AT,
                expires_at=datetime(2026, 3, 9, 9, 0, tzinfo=UTC),
            ),
        ),
        (
            "access.audit",
            "request-1",
            ShareRevoked(
                grant_id="grant-1",
                request_id="request-1",
                colleague_id="staff-7",
                revoked_by="staff-2",
                revoked_at=AT,
            ),
        ),
        (
            "access.audit",
            "audit-1",
            RequestContentRead(
                audit_id="audit-1",
                reader_id="staff-7",
                reader_role="colleague",
                read_at=AT,
                requests=(
                    RequestReadOn(request_id="request-1", ground="share_grant", grant_id="grant-1"),
                ),
            ),
        ),
        (
            "access.memberships",
            "request-1",
            RequestOrganisationDecided(
                request_id="request-1",
                requester_id="contact-1",
                organisation_id=ORG,
                lawful_basis="contract",
                version=1,
                decided_at=AT,
            ),
        ),
        (
            "access.memberships",
            "crm-contact-2",
            AccountContactsLinked(
                account_id="crm-contact-2",
                contact_ids=("crm-contact-2", "contact-1"),
                linked_at=AT,
            ),
        ),
        (
            "legal.holds",
            "hold-2026-0042",
            LegalHoldPlaced(
                hold_id="hold-2026-0042",
                scope=LegalHoldScope(kind="organisation", id=ORG),
                reason="contractual_dispute",
                case_reference="CASE-2026-0042",
                placed_by="legal-officer-7",
                placed_at=AT,
                expires_at=None,
            ),
        ),
        (
            "legal.holds",
            "hold-2026-0042",
            LegalHoldReleased(
                hold_id="hold-2026-0042", released_by="legal-officer-7", released_at=AT
            ),
        ),
    ]
