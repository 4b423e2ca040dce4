"""Staff's view and levers over retention, the service layer: a request's or an organisation's
clock, legal holds placed and released (P8, P9), the overview of what falls due, and the
processor register (P10). Plain async functions over retention's stores."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from services.retention.domain import OrganisationClock, RetentionClock
from services.retention.erasure import PurgeState
from services.retention.errors import NotFoundError, NotReadyError
from services.retention.handlers import hold_from
from services.retention.legal_holds import HeldItems, LegalHold, release
from services.retention.processors import Processor, TransferNotAllowedError, enable
from services.retention.rights import require_staff
from shared import topics
from shared.events.legal import HoldReason, LegalHoldPlaced, LegalHoldReleased, LegalHoldScope
from shared.events.sources import RETENTION
from shared.tokens import Principal

if TYPE_CHECKING:
    from services.retention.rights import Retention


async def request_clock(request_id: str, *, who: Principal, ctx: Retention) -> RetentionClock:
    """When a request's personal data falls due for purging, and under which rule."""
    require_staff(who)
    found = await ctx.stores.reads().clocks.get(request_id)
    if found is None:
        raise NotFoundError("no retention clock for that request")
    return found


async def organisation_clock(
    organisation_id: str, *, who: Principal, ctx: Retention
) -> tuple[OrganisationClock, PurgeState | None]:
    """An organisation's contract state, when it falls due for purging (P7), and where its
    purge stands once one started (`certified`: done)."""
    require_staff(who)
    reads = ctx.stores.reads()
    found = await reads.organisations.get(organisation_id)
    if found is None:
        raise NotFoundError("no retention clock for that organisation")
    purge = None if found.purge_id is None else await reads.purges.get(found.purge_id)
    return found, None if purge is None else purge.state


async def place_hold(
    scope: LegalHoldScope,
    reason: HoldReason,
    case_reference: str,
    expires_at: datetime | None,
    *,
    who: Principal,
    ctx: Retention,
) -> LegalHold:
    """Place a legal hold, announced on the legal topic: nothing it covers is purged while it
    is active."""
    require_staff(who)
    placed = LegalHoldPlaced(
        hold_id=str(uuid4()),
        scope=scope,
        reason=reason,
        case_reference=case_reference,
        placed_by=who.principal_id,
        placed_at=ctx.clock.now(),
        expires_at=expires_at,
    )
    hold = hold_from(placed)
    async with ctx.stores.transaction() as uow:
        await uow.holds.save(hold)
        event = RETENTION.event(subject=hold.hold_id, time=placed.placed_at, data=placed)
        await uow.publish(topics.LEGAL_HOLDS, event)
    return hold


async def legal_holds(*, who: Principal, ctx: Retention) -> list[LegalHold]:
    """Every legal hold, active or not, oldest first."""
    require_staff(who)
    return await ctx.stores.reads().holds.all()


async def release_hold(hold_id: str, *, who: Principal, ctx: Retention) -> LegalHold:
    """Release a hold (once; again changes nothing); a purge it held back runs at once if due."""
    require_staff(who)
    now = ctx.clock.now()
    async with ctx.stores.transaction() as uow:
        hold = await uow.holds.get(hold_id)
        if hold is None:
            raise NotFoundError("no such legal hold")
        released = release(hold, released_by=who.principal_id, released_at=now)
        if released != hold:
            await uow.holds.save(released)
            event = LegalHoldReleased(
                hold_id=hold_id, released_by=who.principal_id, released_at=now
            )
            await uow.publish(
                topics.LEGAL_HOLDS, RETENTION.event(subject=hold_id, time=now, data=event)
            )
    ctx.wake_scheduler()
    return released


async def retention_status(*, who: Principal, ctx: Retention, limit: int) -> dict[str, Any]:
    """What is due soon, overdue or held back, active holds, the next items due, and the
    erasures waiting for late participants (no certificate until each finds nothing left)."""
    require_staff(who)
    now, reads = ctx.clock.now(), ctx.stores.reads()
    holds = await reads.holds.unreleased()
    held = HeldItems.of(holds, now=now)
    late_after = ctx.periods.late_after
    late = await reads.overview.late_erasures(now=now, late_after=late_after, limit=limit)
    return {
        "as_of": now,
        **await reads.overview.counts(now=now, held=held),
        "erasures_participants_late": len(late),
        "legal_holds_active": sum(1 for hold in holds if hold.is_active(now)),
        "next_due": await reads.overview.next_due(held=held, limit=limit),
        "late_erasures": late,
    }


async def processors(*, who: Principal, ctx: Retention) -> list[Processor]:
    """The record of processing activities."""
    require_staff(who)
    return await ctx.stores.reads().processors.all()


async def record_processor(processor: Processor, *, who: Principal, ctx: Retention) -> Processor:
    """Record or update a processor (it starts disabled); an enabled one is checked again."""
    require_staff(who)
    register = ctx.stores.reads().processors
    existing = await register.get(processor.processor_id)
    if existing is not None and existing.enabled:
        processor = _checked(processor)
    await register.save(processor)
    return processor


async def switch_processor(
    processor_id: str, *, enabled: bool, who: Principal, ctx: Retention
) -> Processor:
    """Enable a processor (refused in a third country without a recorded mechanism), or stop
    personal data flowing to it."""
    require_staff(who)
    register = ctx.stores.reads().processors
    found = await register.get(processor_id)
    if found is None:
        raise NotFoundError("no such processor")
    switched = _checked(found) if enabled else replace(found, enabled=False)
    await register.save(switched)
    return switched


def _checked(processor: Processor) -> Processor:
    try:
        return enable(processor)
    except TransferNotAllowedError as error:
        raise NotReadyError(str(error)) from None
