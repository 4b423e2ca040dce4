"""Contract events an integrator may publish by hand: validated before anything is sent.

An event comes as a full CloudEvent (like the examples in docs/contracts/) or as its `data`
with the type named. Plain contact details (full_name, email, phone?, company?) go, as an
outside CRM sends them, to `crm.ingress` (`crm.ingress.contract_signed.v1`,
`crm.ingress.contact_upserted.v1`), where access seals and republishes them: no secret of ours
is needed. With `seal` the CLI seals them itself with the contact's key (it then needs the key
store and the key-encryption key) and publishes on `crm.contracts` / `crm.contacts`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from ops.output import ExitCode, OpsError
from shared.crypto import SealedPersonalData
from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.crm import (
    CRM_EVENTS,
    INGRESS_EVENTS,
    ContactUpserted,
    ContractSigned,
    IngressContactUpserted,
    IngressContractSigned,
)
from shared.events.intake import ContactDetails
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased

CONTRACTS: tuple[type[EventData], ...] = (
    *CRM_EVENTS,
    *INGRESS_EVENTS,
    LegalHoldPlaced,
    LegalHoldReleased,
)
PUBLISHABLE: dict[str, type[EventData]] = {event.event_type: event for event in CONTRACTS}
IN_CLEAR: dict[str, str] = {
    ContractSigned.event_type: IngressContractSigned.event_type,
    ContactUpserted.event_type: IngressContactUpserted.event_type,
}
"""The ingress type that carries a CRM event's contact details in clear."""
KEY_FIELD = {
    "crm.contracts": "organisation_id",
    "crm.contacts": "organisation_id",
    "crm.ingress": "organisation_id",
    "legal.holds": "hold_id",
}
DEFAULT_SOURCE = "/support-ops"

Sealer = Callable[[ContactDetails, str], Awaitable[SealedPersonalData]]


def problems(error: ValidationError, *, prefix: str = "") -> list[str]:
    """Each failed field and the rule it broke; never the value (it may be personal)."""
    found = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "<root>"
        found.append(f"{prefix}{where}: {problem['type']}")
    return found


def invalid(message: str, details: Sequence[str]) -> OpsError:
    return OpsError(message, code=ExitCode.INVALID_INPUT, details=details)


def event_class(event_type: str) -> type[EventData]:
    if event_type not in PUBLISHABLE:
        raise invalid(
            "type: not a contract this CLI publishes",
            [f"known: {', '.join(sorted(PUBLISHABLE))}"],
        )
    return PUBLISHABLE[event_type]


def _plain_details(details: object) -> bool:
    return isinstance(details, dict) and "ciphertext" not in details


async def _sealed(details: object, *, contact_id: object, where: str, seal: Sealer) -> object:
    if not isinstance(contact_id, str) or not contact_id:
        return details  # the model reports the missing contact id
    try:
        plain = ContactDetails.model_validate(details)
    except ValidationError as error:
        raise invalid("contact details are not valid", problems(error, prefix=where)) from None
    return (await seal(plain, contact_id)).model_dump(mode="json")


async def seal_contact_details(data: dict[str, Any], *, seal: Sealer) -> dict[str, Any]:
    """Seal every plain `details` (contract signed, contact upserted) with its contact's key."""
    data = dict(data)
    if _plain_details(data.get("details")):
        data["details"] = await _sealed(
            data["details"], contact_id=data.get("contact_id"), where="data.details.", seal=seal
        )
    if isinstance(data.get("contacts"), list):
        contacts = []
        for index, contact in enumerate(data["contacts"]):
            if isinstance(contact, dict) and _plain_details(contact.get("details")):
                contact = {
                    **contact,
                    "details": await _sealed(
                        contact["details"],
                        contact_id=contact.get("contact_id"),
                        where=f"data.contacts.{index}.details.",
                        seal=seal,
                    ),
                }
            contacts.append(contact)
        data["contacts"] = contacts
    return data


def has_plain_details(data: dict[str, Any]) -> bool:
    contacts = data.get("contacts") if isinstance(data.get("contacts"), list) else []
    return _plain_details(data.get("details")) or any(
        isinstance(c, dict) and _plain_details(c.get("details")) for c in contacts or ()
    )


async def prepare(
    document: object, *, event_type: str | None, source: str, seal: Sealer | None
) -> tuple[str, CloudEvent]:
    """The topic and the validated CloudEvent for one input document (an envelope or data)."""
    if not isinstance(document, dict):
        raise invalid("input: each event must be a JSON object", [])
    envelope = "specversion" in document
    data = document.get("data") if envelope else document
    kind = document.get("type") if envelope else event_type
    if not isinstance(kind, str):
        raise invalid("type: missing (give a CloudEvent, or data with --type)", [])
    if not isinstance(data, dict):
        raise invalid("data: must be a JSON object", [])
    if has_plain_details(data):
        if seal is None:  # as an outside CRM publishes: in clear, on crm.ingress
            kind = IN_CLEAR.get(kind, kind)
        else:
            data = await seal_contact_details(data, seal=seal)
    model = event_class(kind)
    try:
        checked = model.model_validate(data)
    except ValidationError as error:
        raise invalid(
            f"data of {kind} does not match its contract", problems(error, prefix="data.")
        ) from None
    if envelope:
        try:
            event = CloudEvent.model_validate(
                {**document, "type": kind, "data": checked.model_dump(mode="json")}
            )
        except ValidationError as error:
            raise invalid("the CloudEvent envelope is not valid", problems(error)) from None
    else:
        subject = str(getattr(checked, KEY_FIELD[model.topic]))
        event = CloudEvent.of(
            source=source, type=kind, subject=subject, time=_time_of(checked), data=checked
        )
    return model.topic, event


def _time_of(data: BaseModel) -> datetime:
    """The time the fact happened (the event's own `..._at`), else now."""
    for name, value in data:
        if name.endswith("_at") and name != "expires_at" and isinstance(value, datetime):
            return value
    return datetime.now(UTC)
