"""surveys' handlers: plain async functions of (event, dependencies)."""

from __future__ import annotations

from typing import Protocol

from services.surveys.domain import SurveyCandidate
from shared.events import CloudEvent
from shared.events.intake import RequestReceived


class SurveyCandidates(Protocol):
    async def watch(self, candidate: SurveyCandidate) -> None: ...
    async def get(self, request_id: str) -> SurveyCandidate | None: ...


async def watch_new_request(event: CloudEvent, *, candidates: SurveyCandidates) -> None:
    """Remember a new request, so its requester can be surveyed when it is resolved."""
    received = RequestReceived.from_event(event)
    await candidates.watch(
        SurveyCandidate(
            request_id=received.request_id,
            requester_id=received.requester_id,
            channel=received.channel,
            organisation_id=received.organisation_id,
            status=received.status,
            received_at=received.received_at,
        )
    )
