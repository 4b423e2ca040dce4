"""retention's HTTP API: a request's retention clock, for support staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel

from services.retention.handlers import RetentionClocks


class RetentionClockOut(BaseModel):
    request_id: str
    rule: str
    organisation_id: str | None
    last_activity_at: datetime
    purge_due_at: datetime | None


def retention_router(*, staff: Any, clocks: RetentionClocks) -> APIRouter:
    router = APIRouter(tags=["retention"])

    @router.get("/retention/requests/{request_id}", response_model=RetentionClockOut)
    async def retention_clock(request_id: str, _role: str = staff) -> RetentionClockOut:
        """When a request's personal data falls due for purging, and under which rule."""
        clock = await clocks.get(request_id)
        if clock is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no retention clock for that request")
        return RetentionClockOut.model_validate(clock, from_attributes=True)

    return router
