"""retention's HTTP API for staff: a request's or organisation's clock, and legal holds. Routes
only translate: HTTP in, a call of the service layer (`oversight`), a typed answer out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, status
from fastapi.responses import JSONResponse

from services.retention import oversight
from services.retention.answers import HoldIn, HoldOut, OrganisationClockOut, RetentionClockOut
from services.retention.errors import GoneError, NotAllowedError, NotFoundError, NotReadyError
from services.retention.legal_holds import LegalHold
from services.retention.rights import Retention
from shared.tokens import Caller
from shared.wiring import wired

Ctx = Annotated[Retention, Depends(wired(Retention))]
"""A route's `ctx: Ctx` is the app's retention service (stores, keys, clock, periods)."""

router = APIRouter(tags=["retention"])

ANSWERS: dict[type[Exception], int] = {
    NotAllowedError: status.HTTP_403_FORBIDDEN,
    NotFoundError: status.HTTP_404_NOT_FOUND,
    NotReadyError: status.HTTP_409_CONFLICT,
    GoneError: status.HTTP_410_GONE,
}


def install_error_answers(app: FastAPI) -> None:
    """The service layer's refusals as HTTP statuses; the message is the refusal's own (never
    personal data)."""

    async def answer(_request: Request, error: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=ANSWERS[type(error)])

    for kind in ANSWERS:
        app.add_exception_handler(kind, answer)


@router.get("/retention/requests/{request_id}", response_model=RetentionClockOut)
async def retention_clock(request_id: str, who: Caller, ctx: Ctx) -> RetentionClockOut:
    """When a request's personal data falls due for purging, and under which rule."""
    found = await oversight.request_clock(request_id, who=who, ctx=ctx)
    return RetentionClockOut.model_validate(found, from_attributes=True)


@router.get("/retention/organisations/{organisation_id}", response_model=OrganisationClockOut)
async def organisation_clock(organisation_id: str, who: Caller, ctx: Ctx) -> OrganisationClockOut:
    """An organisation's contract state and when it falls due for purging (P7)."""
    found, purge_state = await oversight.organisation_clock(organisation_id, who=who, ctx=ctx)
    under_way = found.purge_id is not None and purge_state != "certified"
    return OrganisationClockOut(**found.__dict__, purging=under_way, purge_state=purge_state)


@router.post("/retention/legal-holds", status_code=201, response_model=HoldOut)
async def place_hold(hold_in: HoldIn, who: Caller, ctx: Ctx) -> HoldOut:
    """Place a legal hold: nothing it covers is purged while it is active."""
    hold = await oversight.place_hold(
        hold_in.scope, hold_in.reason, hold_in.case_reference, hold_in.expires_at, who=who, ctx=ctx
    )
    return _out(hold, ctx.clock.now())


@router.get("/retention/legal-holds", response_model=list[HoldOut])
async def list_holds(who: Caller, ctx: Ctx) -> list[HoldOut]:
    """Every legal hold, active or not."""
    now = ctx.clock.now()
    return [_out(hold, now) for hold in await oversight.legal_holds(who=who, ctx=ctx)]


@router.post("/retention/legal-holds/{hold_id}/release", response_model=HoldOut)
async def release_hold(hold_id: str, who: Caller, ctx: Ctx) -> HoldOut:
    """Release a hold; a purge it held back runs at once if already due."""
    released = await oversight.release_hold(hold_id, who=who, ctx=ctx)
    return _out(released, ctx.clock.now())


def _out(hold: LegalHold, now: datetime) -> HoldOut:
    return HoldOut.model_validate({**hold.__dict__, "active": hold.is_active(now)})
