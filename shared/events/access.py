"""Events access publishes: on `access.audit` (P6) share grants and audited reads; on
`access.memberships` (P5, P7) which customer organisation each request belongs to, and which
data-subject ids are one person's (P11). Ids only."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared import topics
from shared.events.base import EventData

ReadGround = Literal["support_staff", "share_grant", "official_contact", "requester"]
LawfulBasis = Literal["contract", "legitimate_interest"]


class ShareGranted(EventData):
    """Support staff shared one request with a colleague until `expires_at` (reason kept in access)."""

    event_type = "access.share_grant.granted.v1"
    topic = topics.ACCESS_AUDIT

    grant_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    colleague_id: str = Field(min_length=1)
    granted_by: str = Field(min_length=1)
    granted_at: AwareDatetime
    expires_at: AwareDatetime


class ShareRevoked(EventData):
    """A share grant was revoked before it expired."""

    event_type = "access.share_grant.revoked.v1"
    topic = topics.ACCESS_AUDIT

    grant_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    colleague_id: str = Field(min_length=1)
    revoked_by: str = Field(min_length=1)
    revoked_at: AwareDatetime


class RequestReadOn(BaseModel):
    """One request a read returned, and the ground it was readable on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(min_length=1)
    ground: ReadGround
    grant_id: str | None = None
    organisation_id: str | None = Field(
        default=None, description="The organisation whose official contact read it."
    )


class RequestContentRead(EventData):
    """Someone read request content: who, when, and which requests on which ground each. One
    event per read: a request's detail (one request) or a listed page (every request on it).

    v2 replaced v1 (one event per request, `request_id` and `ground` at the top level): a
    listed page is one read, so it is one audit record and one event."""

    event_type = "access.request.read.v2"
    topic = topics.ACCESS_AUDIT

    audit_id: str = Field(min_length=1)
    reader_id: str = Field(min_length=1)
    reader_role: str = Field(min_length=1)
    read_at: AwareDatetime
    requests: tuple[RequestReadOn, ...] = Field(min_length=1)


class RequestOrganisationDecided(EventData):
    """access decided, from the CRM's membership facts, which customer organisation a request
    belongs to, or that it belongs to none (P5, P7): when the request arrived, and again when a
    representative's membership became known or ended later. intake (the request's owner)
    applies it to its copies and announces it on `support.requests`.

    `version` grows with every decision about one request; a consumer applies a decision only
    if it is newer than the one it holds, so the order of arrival does not matter."""

    event_type = "access.request.organisation_decided.v1"
    topic = topics.ACCESS_MEMBERSHIPS

    request_id: str = Field(min_length=1)
    requester_id: str = Field(min_length=1)
    organisation_id: str | None = Field(
        default=None, description="The customer organisation, or None: not a customer request."
    )
    lawful_basis: LawfulBasis
    version: int = Field(ge=1)
    decided_at: AwareDatetime


class AccountContactsLinked(EventData):
    """One person's data-subject ids: access linked a contact to the account with the same
    email (P3), such as an order form's representative who also wrote in on the web. retention
    erases a person under every id they have (P11); surveys throttles them and honours their
    opt-out under every id (P9). Ids only; keyed by the account id."""

    event_type = "access.account.contacts_linked.v1"
    topic = topics.ACCESS_MEMBERSHIPS

    account_id: str = Field(min_length=1)
    contact_ids: tuple[str, ...] = Field(
        min_length=2, description="Every data-subject id of the account, its own included."
    )
    linked_at: AwareDatetime


ACCESS_EVENTS: tuple[type[EventData], ...] = (
    ShareGranted,
    ShareRevoked,
    RequestContentRead,
    RequestOrganisationDecided,
    AccountContactsLinked,
)
