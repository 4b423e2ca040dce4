"""Survey candidates: requests whose requester may be asked for feedback once resolved (P9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SurveyCandidate:
    """A request surveys watches until it is resolved; ids only, no personal data."""

    request_id: str
    requester_id: str
    channel: str
    organisation_id: str | None
    status: str
    received_at: datetime
