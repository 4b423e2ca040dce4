"""retention's HTTP API: a request's retention clock, and legal holds for staff and admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

from fastapi import APIRouter, HTTPException, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.retention.handlers import hold_from
from services.retention.legal_holds import LegalHold, release
from services.retention.repository import (
    MongoLegalHolds,
    MongoOrganisationClocks,
    MongoRetentionClocks,
)
from shared import topics
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.legal import HoldReason, LegalHoldPlaced, LegalHoldReleased, LegalHoldScope
from shared.events.sources import RETENTION
from shared.mongo import TransactionRunner
from shared.outbox import add_to_outbox
from shared.tokens import Principal

STAFF_ROLES = frozenset({"support_staff", "admin"})


def require_staff(principal: Principal) -> None:
    """Support staff and admins only; 403 for anyone else."""
    if principal.role not in STAFF_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "support staff or admin role required")


class RetentionClockOut(BaseModel):
    request_id: str
    rule: str
    organisation_id: str | None
    last_activity_at: datetime
    purge_due_at: datetime | None


class HoldIn(BaseModel):
    """A legal hold to place: scope, reason, case reference, optional expiry."""

    model_config = ConfigDict(extra="forbid")

    scope: LegalHoldScope
    reason: HoldReason
    case_reference: str = Field(min_length=1, max_length=200)
    expires_at: AwareDatetime | None = None


class HoldOut(BaseModel):
    hold_id: str
    scope_kind: str
    scope_id: str
    reason: str
    case_reference: str
    placed_by: str
    placed_at: datetime
    expires_at: datetime | None
    released_at: datetime | None
    released_by: str | None
    active: bool


def _out(hold: LegalHold, now: datetime) -> HoldOut:
    return HoldOut.model_validate({**hold.__dict__, "active": hold.is_active(now)})


def retention_router(
    *,
    principal: Any,
    runner: TransactionRunner,
    clock: Clock,
    after_commit: Callable[[], None],
    wake_scheduler: Callable[[], None],
) -> APIRouter:
    router = APIRouter(tags=["retention"])

    @router.get("/retention/requests/{request_id}", response_model=RetentionClockOut)
    async def retention_clock(request_id: str, who: Principal = principal) -> RetentionClockOut:
        """When a request's personal data falls due for purging, and under which rule."""
        require_staff(who)
        found = await MongoRetentionClocks(runner.database).get(request_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no retention clock for that request")
        return RetentionClockOut.model_validate(found, from_attributes=True)

    @router.get("/retention/organisations/{organisation_id}")
    async def organisation_clock(
        organisation_id: str, who: Principal = principal
    ) -> dict[str, object]:
        """An organisation's contract state and when it falls due for purging (P7)."""
        require_staff(who)
        found = await MongoOrganisationClocks(runner.database).get(organisation_id)
        if found is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, "no retention clock for that organisation"
            )
        return {**found.__dict__, "purging": found.purge_id is not None}

    @router.post("/retention/legal-holds", status_code=201, response_model=HoldOut)
    async def place_hold(hold_in: HoldIn, who: Principal = principal) -> HoldOut:
        """Place a legal hold: nothing it covers is purged while it is active."""
        require_staff(who)
        placed = LegalHoldPlaced(
            hold_id=str(uuid4()),
            scope=hold_in.scope,
            reason=hold_in.reason,
            case_reference=hold_in.case_reference,
            placed_by=who.principal_id,
            placed_at=clock.now(),
            expires_at=hold_in.expires_at,
        )
        hold = hold_from(placed)
        async with runner.transaction() as tx:
            await MongoLegalHolds(tx.database, tx).save(hold)
            await add_to_outbox(tx, topic=topics.LEGAL_HOLDS, event=_event(placed, placed.hold_id))
        after_commit()
        return _out(hold, clock.now())

    @router.get("/retention/legal-holds", response_model=list[HoldOut])
    async def list_holds(who: Principal = principal) -> list[HoldOut]:
        """Every legal hold, active or not."""
        require_staff(who)
        now = clock.now()
        return [_out(h, now) for h in await MongoLegalHolds(runner.database).all()]

    @router.post("/retention/legal-holds/{hold_id}/release", response_model=HoldOut)
    async def release_hold(hold_id: str, who: Principal = principal) -> HoldOut:
        """Release a hold; a purge it held back runs at once if already due."""
        require_staff(who)
        now = clock.now()
        async with runner.transaction() as tx:
            holds = MongoLegalHolds(tx.database, tx)
            hold = await holds.get(hold_id)
            if hold is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, "no such legal hold")
            released = release(hold, released_by=who.principal_id, released_at=now)
            if released != hold:
                await holds.save(released)
                event = LegalHoldReleased(
                    hold_id=hold_id, released_by=who.principal_id, released_at=now
                )
                await add_to_outbox(tx, topic=topics.LEGAL_HOLDS, event=_event(event, hold_id))
        after_commit()
        wake_scheduler()
        return _out(released, now)

    return router


def _event(data: LegalHoldPlaced | LegalHoldReleased, hold_id: str) -> CloudEvent:
    time = data.placed_at if isinstance(data, LegalHoldPlaced) else data.released_at
    return RETENTION.event(subject=hold_id, time=time, data=data)
