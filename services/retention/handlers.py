"""retention's handlers: plain async functions of (event, dependencies)."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from services.retention.domain import RetentionClock, clock_for_new_request
from shared.events import CloudEvent
from shared.events.intake import RequestReceived


class RetentionClocks(Protocol):
    async def start(self, clock: RetentionClock) -> None: ...
    async def get(self, request_id: str) -> RetentionClock | None: ...


async def start_retention_clock(
    event: CloudEvent, *, clocks: RetentionClocks, retention: timedelta
) -> None:
    """A new request starts its retention clock at the time it was received."""
    received = RequestReceived.from_event(event)
    await clocks.start(
        clock_for_new_request(
            request_id=received.request_id,
            requester_id=received.requester_id,
            organisation_id=received.organisation_id,
            received_at=received.received_at,
            retention=retention,
        )
    )
