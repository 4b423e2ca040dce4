"""Events intake publishes on `support.requests`. Personal fields travel sealed only."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from shared import topics
from shared.crypto import SealedPersonalData
from shared.events.base import EventData

Channel = Literal["web", "email", "phone"]
LawfulBasis = Literal["contract", "legitimate_interest"]
RequestStatus = Literal["open", "pending", "resolved", "closed"]


class ContactDetails(BaseModel):
    """P2: the only contact data kept: full name, email, phone (optional), company (optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    full_name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = Field(default=None, max_length=200)


class RequestContent(BaseModel):
    """The personal part of a new request: who asked, and what they wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requester: ContactDetails
    subject: str
    body: str


class RequestReceived(EventData):
    """A support request arrived on a channel and was stored (P1, P5)."""

    event_type = "support.request.received.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    channel: Channel
    requester_id: str = Field(min_length=1, description="The contact id; the data subject.")
    organisation_id: str | None = None
    lawful_basis: LawfulBasis
    status: RequestStatus = "open"
    received_at: AwareDatetime
    content: SealedPersonalData
