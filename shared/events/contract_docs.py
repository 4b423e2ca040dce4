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
from shared.events.access import RequestContentRead, RequestReadOn, ShareGranted, ShareRevoked
from shared.events.base import EventData
from shared.events.crm import (
    ContactLeftOrganization,
    ContactUpserted,
    ContractReinstated,
    ContractSigned,
    ContractTerminated,
    OfficialContactAppointed,
    OfficialContactRevoked,
    OrderFormContact,
)
from shared.events.envelope import CloudEvent
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


def examples() -> list[tuple[str, str, EventData]]:
    """(topic, subject, data) of one valid event per documented type."""
    return [
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
        "`shared/events/`; do not edit by hand. Every event is a CloudEvents 1.0 JSON envelope",
        "(`id` is the idempotency key, `subject` the Kafka key). Personal fields travel only",
        "sealed (`SealedPersonalData`: AES-256-GCM with the data subject's key, the subject id as",
        "associated data; sealed contact details are a ContactDetails: full_name, email, phone?,",
        "company?). Events that do not match are dead-lettered to `<topic>.dlq` with the reason.",
        "Each fact carries the CRM's time; consumers apply them in any arrival order.",
        "",
        "Seam: intake publishes `support.request.received.v1` with `organisation_id: null` today.",
        "access then derives the organisation from these CRM events: the organisation the",
        "requester represented (matched by contact id or by email) when the request was",
        "received. A request that arrives before the CRM event is assigned when it arrives;",
        "one filed after the representative left is not the organisation's. Once intake sets",
        "`organisation_id` itself, access keeps intake's value.",
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
