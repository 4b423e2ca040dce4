"""Writes the documented contracts of external producers' topics into docs/contracts/.

`python -m shared.events.contract_docs` writes, per event type, a JSON Schema of its `data`
(from the pydantic model) and a complete example CloudEvent; tests check they are current.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

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
from shared.events.envelope import CloudEvent
from shared.events.intake import ContactDetails
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased, LegalHoldScope

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contracts"
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-4711"
SOURCES = {"crm": "/crm", "legal": "/legal"}


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


def rendered() -> dict[str, str]:
    """File name -> content of every generated document."""
    files: dict[str, str] = {}
    index = [
        "# Event contracts",
        "",
        "Generated by `python -m shared.events.contract_docs` from the pydantic models in",
        "`shared/events/`; do not edit by hand.",
        "",
        "## The envelope every producer must meet",
        "",
        "A record's value is a CloudEvents 1.0 envelope in JSON structured mode, a JSON object",
        "with exactly these members; anything else is dead-lettered to `<topic>.dlq` with the",
        "field and the rule it broke (never the value), and the consumer goes on:",
        "",
        '- `specversion`: `"1.0"`;',
        "- `id`: a UUID (any version, canonical text form): the idempotency key; a record whose",
        "  `id` was processed before is skipped, so a producer retrying must reuse it, and a",
        "  new fact needs a new one;",
        "- `source`: a non-empty URI reference naming the producing system (e.g. `/crm`);",
        "- `type`: one of the types below, versioned (`...v1`);",
        "- `time`: RFC 3339 with an offset (`2026-03-02T09:00:00Z`), when the fact happened;",
        "- `subject`: the aggregate id, also the record's Kafka key (see the table);",
        '- `datacontenttype`: `"application/json"` (may be left out);',
        "- `data`: an object matching the type's schema, no other members.",
        "",
        "Each CRM fact carries the CRM's time; consumers apply them in any arrival order.",
        "",
        "## Personal data from outside: `crm.ingress`",
        "",
        "Inside the system personal fields travel only sealed (`SealedPersonalData`: AES-256-GCM",
        "with the data subject's key, the subject id as associated data; sealed contact details",
        "are a ContactDetails: full_name, email, phone?, company?). An outside CRM holds none of",
        "our keys, so it publishes on `crm.ingress`: the order form",
        "(`crm.ingress.contract_signed.v1`) and contact changes (`crm.ingress.contact_upserted.v1`)",
        "with the details in clear, and the five other CRM types unchanged. `crm.ingress` keeps",
        "records only days (`ACCESS_CRM_INGRESS_RETENTION_HOURS`, 168 by default); access seals",
        "the details with each contact's own key and republishes every event, with an `id`",
        "derived from the CRM's, on `crm.contracts` or `crm.contacts`. The sealed types there",
        "are for producers that hold the key store (our own `support-ops publish --seal`).",
        "",
        "## Which organisation a request belongs to: `access.memberships`",
        "",
        "access owns organisation membership. When a request arrives, and again when a",
        "representative's membership becomes known or ends later, it decides which customer",
        "organisation the request belongs to (the one its requester represented, matched by",
        "contact id or email, when it was received; none for requests filed after leaving) and",
        "publishes `access.request.organisation_decided.v1` (a `version` per request, so any",
        "arrival order ends the same). intake applies it to every copy it holds, sets the lawful",
        "basis (`contract` for a customer's request, P5) and announces",
        "`support.request.organisation_changed.v1` on `support.requests`; retention and surveys",
        "tag their copies from it, and an organisation's purge finds them all (P7).",
        "",
        "`access.request.read.v2` replaced v1: one event per read of request content (a",
        "request's detail, or a listed page with every request on it and the ground of each),",
        "keyed by its audit id; v1 was one event per request, keyed by the request id.",
        "",
        "| topic | type | schema | example |",
        "| --- | --- | --- | --- |",
    ]
    for topic, subject, data in examples():
        schema = type(data).model_json_schema()
        schema["$id"] = f"{data.event_type}.schema.json"
        schema["title"] = data.event_type
        event = CloudEvent(
            id="7a0b0c5e-3f1d-4d2a-9a57-2a3f6a1f4711",
            source=SOURCES.get(topic.split(".")[0], "/support/access"),
            type=data.event_type,
            subject=subject,
            time=AT,
            data=data.model_dump(mode="json"),
        )
        files[f"{data.event_type}.schema.json"] = _json(schema)
        files[f"{data.event_type}.example.json"] = _json(event.model_dump(mode="json"))
        index.append(
            f"| `{topic}` | `{data.event_type}` | [schema]({data.event_type}.schema.json) "
            f"| [example]({data.event_type}.example.json) |"
        )
    files["README.md"] = "\n".join(index) + "\n"
    return files


def _json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write(directory: Path = DOCS) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in rendered().items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS):
        print(path)
