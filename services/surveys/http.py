"""surveys' HTTP API: what surveys knows of a request, for support staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from services.surveys.handlers import SurveyCandidates


class SurveyCandidateOut(BaseModel):
    request_id: str
    channel: str
    status: str
    received_at: datetime


def surveys_router(*, staff: Any, candidates: SurveyCandidates) -> APIRouter:
    router = APIRouter(tags=["surveys"])

    @router.get("/surveys/candidates/{request_id}", response_model=SurveyCandidateOut)
    async def survey_candidate(request_id: str, _role: str = staff) -> SurveyCandidateOut:
        """Whether surveys watches a request for its resolution."""
        candidate = await candidates.get(request_id)
        if candidate is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "surveys does not know that request")
        return SurveyCandidateOut.model_validate(candidate, from_attributes=True)

    return router
