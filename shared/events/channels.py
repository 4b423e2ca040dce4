"""Raw channel events into intake: `intake.email` (from intake's own SMTP server) and
`intake.phone` (from a telephony system or an agent's call log; a contract for integrators).

Phone-call contract (`intake.phone.call_logged.v1`, CloudEvents 1.0 JSON, key = call_id):
`call_id` (the integrator's unique id; a redelivered call is a duplicate), `caller_number`
(any format a person dials; normalised to E.164, default region from intake's settings),
optional `caller_name`, `caller_email`, `caller_company`, `agent_id`, `call_started_at` and
`call_ended_at` (ISO 8601 with offset), `notes` (what was said), optional `subject`, and
optional `request_reference` (`SR-XXXXXXXX`) to add the call to an existing request. An event
intake cannot use goes to `intake.phone.dlq` with a reason naming the field and the rule.
The telephony system cannot hold our per-person keys, so `intake.phone` carries the caller's
details in clear: keep its retention short (intake sets `retention.ms` on start-up).
"""

from __future__ import annotations

from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, model_validator

from shared import topics
from shared.crypto import SealedPersonalData
from shared.events.base import EventData


class RawMail(BaseModel):
    """The personal part of an inbound mail: the SMTP envelope and the RFC 5322 bytes (base64)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content_base64: str


class EmailReceived(EventData):
    """intake's SMTP server took a message (durable here before it answered 250)."""

    event_type = "intake.email.received.v1"
    topic = topics.EMAIL_INTAKE

    mail_id: str = Field(min_length=1, description="Also the id of the key sealing the mail.")
    received_at: AwareDatetime
    size: int = Field(ge=0)
    content: SealedPersonalData


class PhoneCallLogged(EventData):
    """A support call, logged by a telephony system or an agent (see the module docstring)."""

    event_type = "intake.phone.call_logged.v1"
    topic = topics.PHONE_INTAKE

    call_id: str = Field(min_length=1, max_length=200)
    caller_number: str = Field(min_length=3, max_length=40)
    caller_name: str | None = Field(default=None, min_length=1, max_length=200)
    caller_email: EmailStr | None = None
    caller_company: str | None = Field(default=None, max_length=200)
    agent_id: str = Field(min_length=1, max_length=200)
    call_started_at: AwareDatetime
    call_ended_at: AwareDatetime
    subject: str | None = Field(default=None, max_length=300)
    notes: str = Field(min_length=1, max_length=20_000)
    request_reference: str | None = Field(default=None, pattern=r"^SR-[A-Z0-9]{8}$")

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.call_ended_at < self.call_started_at:
            raise ValueError("call_ended_at must not be before call_started_at")
        return self


CHANNEL_EVENTS: tuple[type[EventData], ...] = (EmailReceived, PhoneCallLogged)
