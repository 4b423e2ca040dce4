"""Events surveys publishes on `surveys`. The free-text comment travels sealed only."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared import topics
from shared.crypto import SealedPersonalData
from shared.events.base import EventData
from shared.events.intake import Channel


class ResponseComment(BaseModel):
    """The personal part of a survey response: what the person wrote."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    comment: str = Field(max_length=5_000)


class SurveyResponseRecorded(EventData):
    """A person answered a satisfaction survey about one resolved request (P9)."""

    event_type = "surveys.response.recorded.v1"
    topic = topics.SURVEYS

    invitation_id: str = Field(min_length=1)
    request_id: str = Field(min_length=1)
    requester_id: str = Field(min_length=1, description="The data subject whose key seals it.")
    channel: Channel
    organisation_id: str | None = None
    score: int = Field(ge=1, le=5)
    responded_at: AwareDatetime
    comment: SealedPersonalData | None = Field(
        default=None, description="Sealed ResponseComment, when the person wrote one."
    )
