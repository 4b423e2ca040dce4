"""GET /retention/status: the operator's overview of due, overdue and held items (ids only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.retention.http import require_staff
from services.retention.legal_holds import HeldItems
from services.retention.repository import MongoLegalHolds
from services.retention.status_store import RetentionOverview
from shared.clock import Clock
from shared.mongo import TransactionRunner
from shared.tokens import Principal


def status_router(
    *, principal: Any, runner: TransactionRunner, clock: Clock, late_after: timedelta
) -> APIRouter:
    router = APIRouter(tags=["retention"])

    @router.get("/retention/status")
    async def retention_status(
        limit: Annotated[int, Query(ge=1, le=500)] = 20, who: Principal = principal
    ) -> dict[str, Any]:
        """What is due soon, overdue or held back, active holds, the next items due, and the
        erasures waiting for late participants (no certificate until each finds nothing left)."""
        require_staff(who)
        now = clock.now()
        holds = await MongoLegalHolds(runner.database).unreleased()
        held = HeldItems.of(holds, now=now)
        overview = RetentionOverview(runner.database)
        late = await overview.late_erasures(now=now, late_after=late_after, limit=limit)
        return {
            "as_of": now,
            **await overview.counts(now=now, held=held),
            "erasures_participants_late": len(late),
            "legal_holds_active": sum(1 for hold in holds if hold.is_active(now)),
            "next_due": await overview.next_due(held=held, limit=limit),
            "late_erasures": late,
        }

    return router
