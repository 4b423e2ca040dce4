"""Retention clocks (P7, P8): when a request's personal data falls due for purging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

RetentionRule = Literal["customer_relationship", "inactivity"]


@dataclass(frozen=True)
class RetentionClock:
    """A request's retention: customer requests follow their organisation's contract (P7);
    other requests are purged after a year without activity (P8)."""

    request_id: str
    requester_id: str
    organisation_id: str | None
    rule: RetentionRule
    last_activity_at: datetime
    purge_due_at: datetime | None


def clock_for_new_request(
    *,
    request_id: str,
    requester_id: str,
    organisation_id: str | None,
    received_at: datetime,
    retention: timedelta,
) -> RetentionClock:
    """Start a request's clock from the event's own time, never from when it was consumed."""
    if organisation_id is not None:
        return RetentionClock(
            request_id=request_id,
            requester_id=requester_id,
            organisation_id=organisation_id,
            rule="customer_relationship",
            last_activity_at=received_at,
            purge_due_at=None,
        )
    return RetentionClock(
        request_id=request_id,
        requester_id=requester_id,
        organisation_id=None,
        rule="inactivity",
        last_activity_at=received_at,
        purge_due_at=received_at + retention,
    )
