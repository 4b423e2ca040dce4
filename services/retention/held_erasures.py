"""A person's erasure (or objection, P11) as retention starts it, and the one a legal hold
holds back: a person held as a whole is not erased while the hold lasts, and the erasure they
asked for starts by itself once no hold covers them (released, or expired), as a held request
of theirs goes when its hold does (`domain.erasure_held`). Ids and times only."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

from services.retention.domain import erasure_held
from services.retention.dsr import Kept, PersonErasurePlan, plan_person_erasure
from services.retention.erasure import asked, erasure_requested_event, new_purge
from services.retention.legal_holds import HeldItems
from shared import topics
from shared.events.privacy import ErasureGround

if TYPE_CHECKING:
    from services.retention.unit_of_work import RetentionStores

DECISION_LOOKS_EVERY = 0.05
"""Seconds between two looks for an awaited organisation decision."""


@dataclass(frozen=True)
class ErasureDecision:
    """An erasure asked for: its id (None if a hold keeps the person: it starts when the
    hold goes; or if a request of theirs `awaits` its organisation decision: it starts when
    that has come) and what is kept, why."""

    erasure_id: str | None
    kept: tuple[Kept, ...]
    awaits: tuple[str, ...] = ()


async def start_person_erasure(
    person_id: str,
    *,
    ground: ErasureGround,
    stores: RetentionStores,
    now: datetime,
    within: timedelta,
    decisions_within: float = 0,
) -> ErasureDecision:
    """Erase the person under every data-subject id they have, keeping their requests under
    a legal hold (due from now, so they go with the hold) or in a customer's records (P7);
    if a hold covers the person, nothing now, and the erasure waits for the hold to go. A
    request of theirs whose organisation access has not decided yet (just filed) is waited for
    `decisions_within` seconds; still not decided, the erasure waits for it the same way."""
    person_ids, held, plan = await _plan(person_id, stores=stores, now=now)
    waited_until = time.monotonic() + decisions_within
    while plan.awaits and time.monotonic() < waited_until:
        await asyncio.sleep(DECISION_LOOKS_EVERY)
        person_ids, held, plan = await _plan(person_id, stores=stores, now=now)
    if not plan.erase:
        async with stores.transaction() as uow:
            await uow.held_erasures.hold_back(person_id, ground=ground, at=now)
        return ErasureDecision(erasure_id=None, kept=plan.kept, awaits=plan.awaits)
    purge = new_purge(
        erasure_id=str(uuid4()),
        scope_kind="person",
        scope_id=person_id,
        ground=ground,
        requested_at=now,
        within=within,
        # and every request a hold names: what the person wrote on others' (as a correspondent)
        # stays on those too; counted as kept only where it is the person's own (kept_requests)
        keep_request_ids=tuple(sorted({*plan.keep_request_ids, *held.requests})),
        kept_requests=dict(Counter(k.ground for k in plan.kept if k.kind == "request")),
        keep_data_subject_ids=tuple(sorted(held.persons)),
        data_subject_ids=person_ids[1:],  # the person's other ids: erased with them
    )
    held_requests = sorted(k.id for k in plan.kept if k.ground == "legal_hold")
    async with stores.transaction() as uow:
        # asked at once, with the purge: no scheduler pass stands between the request and
        # the participants (a late participant is asked again by the scheduler as for any)
        await uow.publish(topics.PRIVACY_ERASURE, erasure_requested_event(purge))
        await uow.purges.add(asked(purge, at=now))
        await uow.held_erasures.forget(person_id)
        for request_id in held_requests:  # due now, so they go as soon as the hold does
            clock = await uow.clocks.get(request_id)
            if clock is not None:
                await uow.clocks.save(erasure_held(clock, asked_at=now, ground=ground))
    return ErasureDecision(erasure_id=purge.erasure_id, kept=plan.kept)


async def _plan(
    person_id: str, *, stores: RetentionStores, now: datetime
) -> tuple[tuple[str, ...], HeldItems, PersonErasurePlan]:
    reads = stores.reads()
    held = HeldItems.of(await reads.holds.unreleased(), now=now)
    person_ids = await reads.persons.of_person(person_id)
    clocks = await reads.clocks.of_requesters(person_ids)
    plan = plan_person_erasure(person_ids=person_ids, clocks=clocks, held=held, now=now)
    return person_ids, held, plan


async def resume_held_erasures(
    *, stores: RetentionStores, now: datetime, within: timedelta, limit: int
) -> Counter[str]:
    """Start the erasures whose person no hold covers any longer; how many, by ground."""
    started: Counter[str] = Counter()
    if not await stores.reads().held_erasures.waiting(1):  # most passes: none waits
        return started
    held = HeldItems.of(await stores.reads().holds.unreleased(), now=now)
    for person_id, ground in await stores.reads().held_erasures.waiting(limit, held=held.persons):
        ids = await stores.reads().persons.of_person(person_id)
        if any(i in held.persons for i in ids):
            continue
        decision = await start_person_erasure(
            person_id, ground=ground, stores=stores, now=now, within=within
        )
        if decision.erasure_id is not None:
            started[ground] += 1
    return started
