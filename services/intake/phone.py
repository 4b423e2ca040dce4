"""The phone channel: a logged call (`intake.phone.call_logged.v1`) becomes a request, or a
message on the request it names. The event contract is in shared/events/channels.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from services.intake import handlers
from services.intake.domain import Contact
from services.intake.handlers import Matching, call_key
from services.intake.ports import IntakeUnitOfWork
from services.intake.representatives import RepresentativesUnitOfWork, caller_details
from shared.crypto import KeyStore
from shared.events.channels import PhoneCallLogged
from shared.events.intake import ContactDetails


class UnusableCall(ValueError):
    """A call event intake can never turn into a request; the reason names field and rule."""


class CallUnitOfWork(IntakeUnitOfWork, RepresentativesUnitOfWork, Protocol):
    """intake's unit of work, which also knows the customers' representatives."""


@dataclass(frozen=True)
class CallOutcome:
    """`opened`, `threaded` or `duplicate`, and the request it concerns; or `erased` (the
    caller was erased after the call: nothing is kept)."""

    kind: str
    request_id: str
    organisation_id: str | None = None


async def receive_call(
    *,
    call: PhoneCallLogged,
    uow: CallUnitOfWork,
    keys: KeyStore,
    matching: Matching,
    mail_domain: str,
) -> CallOutcome:
    """Match the caller (by email, else by E.164 number: the customer's representative the
    CRM names with it now, else a contact of ours) and record the call."""
    key = call_key(call.call_id)
    seen = await uow.channel_items.request_for(key)
    if seen is not None:
        return CallOutcome("duplicate", request_id=seen)
    phone = matching.phone_key(call.caller_number)
    if phone is None:
        raise UnusableCall("caller_number: not a possible phone number")
    caller = caller_keys(call, matching)
    try:  # a call from before the caller's erasure, read after it, brings nobody back
        await handlers.not_erased_since(call.call_started_at, uow=uow, keys=keys, **caller)
    except handlers.ContactErased:
        return CallOutcome("erased", request_id="")
    # a caller who gave no email is the representative the CRM names with the number now, or
    # else a contact of ours by it (the CRM's word is the later: a number it moved to another
    # representative is theirs)
    contact: Contact | None = None
    if call.caller_email is not None:
        details: ContactDetails | None = _as_logged(call, email=call.caller_email, phone=phone)
    else:
        details = await caller_details(phone, caller_name=call.caller_name, uow=uow, keys=keys)
        if details is None:
            contact = await uow.contacts.by_phone(phone)
    if contact is None:
        if details is None:
            raise UnusableCall("caller_email: required when caller_number matches no known contact")
        contact, _ = await handlers.find_or_register(
            details=details,
            at=call.call_started_at,
            uow=uow,
            keys=keys,
            matching=matching,
            phone_key=phone,
        )
    if call.request_reference is not None:
        request = await uow.requests.by_reference(call.request_reference)
        if request is None or request.requester_id != contact.contact_id:
            raise UnusableCall("request_reference: names no request of this caller")
        await handlers.add_message(
            request=request,
            body=call.notes,
            channel="phone",
            author_role="support_staff",
            author_id=call.agent_id,
            at=call.call_ended_at,
            uow=uow,
            keys=keys,
        )
        outcome = CallOutcome(
            "threaded", request_id=request.request_id, organisation_id=request.organisation_id
        )
    else:
        submitted = await handlers.submit_request(
            channel="phone",
            requester=contact.details,
            subject=call.subject or "Phone call",
            body=call.notes,
            received_at=call.call_started_at,
            uow=uow,
            keys=keys,
            matching=matching,
            mail_domain=mail_domain,
            contact=contact,
        )
        outcome = CallOutcome("opened", request_id=submitted.request.request_id)
    await uow.channel_items.remember(
        key,
        request_id=outcome.request_id,
        requester_id=contact.contact_id,
        organisation_id=outcome.organisation_id,
    )
    return outcome


def caller_keys(call: PhoneCallLogged, matching: Matching) -> dict[str, str | None]:
    """Who the call says the caller is, as an erased contact's addresses are remembered: by
    the email they gave, else by their number (a number alone may be a shared line's)."""
    if call.caller_email is not None:
        return {"email_key": matching.email_key(call.caller_email), "phone_key": None}
    return {"email_key": None, "phone_key": matching.phone_key(call.caller_number)}


def _as_logged(call: PhoneCallLogged, *, email: str, phone: str) -> ContactDetails:
    """The caller as the call names them (with no name: the email's local part)."""
    return ContactDetails(
        full_name=call.caller_name or email.split("@", 1)[0],
        email=email,
        phone=phone,
        company=call.caller_company,
    )
