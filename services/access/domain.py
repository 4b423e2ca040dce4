"""The read model of requests and the audit of reads (P6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Ground = Literal["support_staff", "share_grant", "official_contact", "requester"]


@dataclass(frozen=True)
class RequestView:
    """One request as readers see it; personal fields are None once erased."""

    request_id: str
    reference: str
    channel: str
    status: str
    lawful_basis: str
    organisation_id: str | None
    requester_id: str
    received_at: datetime
    updated_at: datetime
    requester_name: str | None
    requester_email: str | None
    subject: str | None
    body: str | None


@dataclass(frozen=True)
class Reader:
    """Who is reading, and on which ground the policy lets them."""

    reader_id: str
    ground: Ground


@dataclass(frozen=True)
class ReadAudit:
    """Who read which request, when, on which ground; ids only, no personal data."""

    reader_id: str
    request_id: str
    ground: Ground
    read_at: datetime
