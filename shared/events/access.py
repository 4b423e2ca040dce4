"""Events access publishes on `access.audit` (P6): share grants and audited reads. Ids only."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared import topics
from shared.events.base import EventData

ReadGround = Literal["support_staff", "share_grant", "official_contact", "requester"]


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


class RequestContentRead(EventData):
    """Someone read a request's content: who, which request, when, on which ground."""

    event_type = "access.request.read.v1"
    topic = topics.ACCESS_AUDIT

    audit_id: str = Field(min_length=1)
    reader_id: str = Field(min_length=1)
    reader_role: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    ground: ReadGround
    grant_id: str | None = None
    organisation_id: str | None = Field(
        default=None, description="The organisation whose official contact read it."
    )
    read_at: AwareDatetime


ACCESS_EVENTS: tuple[type[EventData], ...] = (ShareGranted, ShareRevoked, RequestContentRead)
