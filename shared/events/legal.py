"""The legal-holds contract on `legal.holds` (key = hold_id), for the legal system and retention.

A legal hold (legal obligation, contractual dispute) stops every purge of what it covers: an
organisation, a person (data subject id) or one request. Holds are placed and released by id;
an optional `expires_at` ends a hold by itself. `reason` and `case_reference` name the legal
matter and must not contain personal data. Each model's JSON Schema (`model_json_schema()`)
is the documented contract; the `examples` in it are valid events' data.

Example CloudEvent (structured mode) on `legal.holds`:

    {"specversion": "1.0", "id": "6f1c0d2e-...", "source": "/legal/case-system",
     "type": "legal.hold.placed.v1", "subject": "hold-2026-0042",
     "time": "2026-03-01T09:00:00Z", "datacontenttype": "application/json",
     "data": {"hold_id": "hold-2026-0042",
              "scope": {"kind": "organisation", "id": "org-acme"},
              "reason": "contractual_dispute", "case_reference": "CASE-2026-0042",
              "placed_by": "legal-officer-7", "placed_at": "2026-03-01T09:00:00Z",
              "expires_at": null}}
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared import topics
from shared.events.base import EventData

HoldReason = Literal["legal_obligation", "contractual_dispute"]


class LegalHoldScope(BaseModel):
    """What a hold covers: an organisation, a person (data subject id) or one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["organisation", "person", "request"]
    id: str = Field(min_length=1, max_length=200)


class LegalHoldPlaced(EventData):
    """A legal hold was placed; nothing it covers is purged while it is active."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hold_id": "hold-2026-0042",
                    "scope": {"kind": "organisation", "id": "org-acme"},
                    "reason": "contractual_dispute",
                    "case_reference": "CASE-2026-0042",
                    "placed_by": "legal-officer-7",
                    "placed_at": "2026-03-01T09:00:00Z",
                    "expires_at": None,
                }
            ]
        }
    )

    event_type = "legal.hold.placed.v1"
    topic = topics.LEGAL_HOLDS

    hold_id: str = Field(min_length=1, max_length=200)
    scope: LegalHoldScope
    reason: HoldReason
    case_reference: str = Field(min_length=1, max_length=200, description="No personal data.")
    placed_by: str = Field(min_length=1, max_length=200, description="Staff or system id.")
    placed_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(
        default=None, description="The hold ends by itself at this time, if given."
    )


class LegalHoldReleased(EventData):
    """A legal hold was released; a purge it held back runs at once if already due."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "hold_id": "hold-2026-0042",
                    "released_by": "legal-officer-7",
                    "released_at": "2026-09-01T09:00:00Z",
                }
            ]
        }
    )

    event_type = "legal.hold.released.v1"
    topic = topics.LEGAL_HOLDS

    hold_id: str = Field(min_length=1, max_length=200)
    released_by: str = Field(min_length=1, max_length=200)
    released_at: AwareDatetime
