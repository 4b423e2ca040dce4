"""GET /retention/status: the operator's overview of due, overdue and held items (ids only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.retention import oversight
from services.retention.answers import RetentionStatusOut
from services.retention.http import Ctx
from shared.tokens import Caller

router = APIRouter(tags=["retention"])


@router.get("/retention/status", response_model=RetentionStatusOut)
async def retention_status(
    who: Caller, ctx: Ctx, limit: Annotated[int, Query(ge=1, le=500)] = 20
) -> Any:
    """What is due soon, overdue or held back, active holds, the next items due, and the
    erasures waiting for late participants (no certificate until each finds nothing left)."""
    return await oversight.retention_status(who=who, ctx=ctx, limit=limit)
