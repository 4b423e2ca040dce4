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


class AttachmentMeta(BaseModel):
    """A file that came with a message: its id, name, type and size; `kept` when its content
    is stored (sealed) and can be downloaded by those who may read the request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attachment_id: str = Field(min_length=1)
    filename: str | None = None
    media_type: str
    size: int = Field(ge=0)
    kept: bool = False


class AttachmentContent(BaseModel):
    """A kept file's content (sealed at rest with its requester's key)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    content_base64: str


class RequestContent(BaseModel):
    """The personal part of a new request: who asked, and what they wrote (and attached)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requester: ContactDetails
    subject: str
    body: str
    attachments: tuple[AttachmentMeta, ...] = ()


class RequestReceived(EventData):
    """A support request arrived on a channel and was stored (P1, P5)."""

    event_type = "support.request.received.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    channel: Channel
    requester_id: str = Field(min_length=1, description="The contact id; the data subject.")
    organisation_id: str | None = Field(
        default=None,
        description="Always null when received: access decides the organisation and intake "
        "announces it with support.request.organisation_changed.v1. Kept for history.",
    )
    lawful_basis: LawfulBasis
    status: RequestStatus = "open"
    received_at: AwareDatetime
    content: SealedPersonalData


class MessageContent(BaseModel):
    """The personal part of a message: what was written (and attached)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    body: str
    attachments: tuple[AttachmentMeta, ...] = ()


AuthorRole = Literal["requester", "support_staff", "colleague", "official_contact", "system"]
Resolution = Literal["solved", "spam", "duplicate", "withdrawn"]


class MessageAdded(EventData):
    """A message was added to a request (a reply by mail, a call, a note); it is activity (P8)."""

    event_type = "support.request.message_added.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    message_id: str = Field(min_length=1)
    requester_id: str = Field(
        min_length=1,
        description=(
            "The request's requester, whose key seals `content`; a correspondent's message "
            "(`author_role` colleague with an `author_id`) is sealed with a key of its own."
        ),
    )
    channel: Channel
    author_role: AuthorRole
    author_id: str | None = None
    added_at: AwareDatetime
    content: SealedPersonalData

    @property
    def correspondent_id(self) -> str | None:
        """The author, when a contact of ours other than the requester wrote it by mail."""
        return self.author_id if self.author_role == "colleague" else None


class StatusChanged(EventData):
    """A request moved between open, pending, resolved and closed; it is activity (P8)."""

    event_type = "support.request.status_changed.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    requester_id: str = Field(min_length=1)
    organisation_id: str | None = None
    channel: Channel
    from_status: RequestStatus
    to_status: RequestStatus
    resolution: Resolution | None = None
    changed_by_role: AuthorRole
    changed_by: str | None = None
    changed_at: AwareDatetime


class OrganisationChanged(EventData):
    """A request now belongs to a customer organisation, or no longer does, and its lawful basis
    changed with it (P5, P7); intake applied access's decision to every copy it holds. Ordered
    with the request's other events (same topic, same key)."""

    event_type = "support.request.organisation_changed.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    requester_id: str = Field(min_length=1)
    channel: Channel
    organisation_id: str | None = None
    lawful_basis: LawfulBasis
    version: int = Field(ge=1)
    changed_at: AwareDatetime


class RequesterRectified(EventData):
    """The requester corrected their contact details (P11) after filing the request: after the
    request's announcement on its topic, so a service reading that topic late shows the
    correction, not the details as first given."""

    event_type = "support.request.requester_rectified.v1"
    topic = topics.SUPPORT_REQUESTS

    request_id: str = Field(min_length=1)
    requester_id: str = Field(min_length=1)
    rectified_at: AwareDatetime = Field(description="When the person stated them.")
    details: SealedPersonalData


class ContactRegistered(EventData):
    """The first request from an unknown person registered them as a contact (P3)."""

    event_type = "support.contact.registered.v1"
    topic = topics.SUPPORT_CONTACTS

    contact_id: str = Field(min_length=1, description="The data subject id.")
    organisation_id: str | None = Field(
        default=None,
        description="Always null: membership is access's (access.memberships). Kept for history.",
    )
    registered_at: AwareDatetime
    details: SealedPersonalData


class ContactRectified(EventData):
    """The person corrected their contact details (P11), as intake now holds them. It follows
    their registration on the contacts topic, so a service reading that topic late takes the
    registration's details first and the correction after them, never the other way round."""

    event_type = "support.contact.rectified.v1"
    topic = topics.SUPPORT_CONTACTS

    contact_id: str = Field(min_length=1, description="The data subject id.")
    rectified_at: AwareDatetime = Field(description="When the person stated them.")
    details: SealedPersonalData
