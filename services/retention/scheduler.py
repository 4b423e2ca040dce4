"""The purge scheduler: due items become purges and purges move to a certificate, in batches,
continuously and without a human step. Every step is persisted before the next, so after a
crash the scheduler resumes where it stopped and nothing is purged twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import uuid4

from services.retention.erasure import (
    Purge,
    asked,
    certificate,
    erasure_requested_event,
    new_purge,
    subjects_to_shred,
)
from services.retention.held_erasures import resume_held_erasures
from services.retention.legal_holds import HeldItems
from services.retention.metrics import RetentionMetrics
from shared import topics
from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.crypto import KeyStore
from shared.mongo import is_transient

if TYPE_CHECKING:
    from services.retention.unit_of_work import RetentionStores

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerPolicy:
    """How the scheduler paces itself."""

    every: timedelta
    batch_size: int
    erasure_within: timedelta
    late_after: timedelta


class PurgeScheduler:
    """Runs due purges and drives them through the erasure protocol to a certificate."""

    def __init__(
        self,
        *,
        stores: RetentionStores,
        keys: KeyStore,
        clock: Clock,
        metrics: RetentionMetrics,
        policy: SchedulerPolicy,
        announce_certified: Callable[[str], None] = lambda erasure_id: None,
    ) -> None:
        self._stores = stores
        self._announce_certified = announce_certified
        self._keys = keys
        self._clock = clock
        self._metrics = metrics
        self._policy = policy
        self._wake = asyncio.Event()
        self._whole_pass_asked = False
        self._one_pass_at_a_time = asyncio.Lock()

    def wake(self) -> None:
        """Run a whole pass now (a hold was released, an erasure was asked for)."""
        self._whole_pass_asked = True
        self._wake.set()

    def move_on(self) -> None:
        """An erasure's last missing completion committed: run a pass that takes the purges
        under way further (keys, certificate). Nothing can have become due, so it does not
        look."""
        self._wake.set()

    async def run(self) -> None:
        """Forever: one pass, then wait; transient failures are retried on the next pass. A
        whole pass (due purges, late participants, the gauges) runs about once per interval
        and when woken for it; a pass woken by an erasure's last completion only moves the
        purges under way on."""
        whole_at = -math.inf
        while True:
            stop_if_cancelled()
            # Cleared before the pass, so a wake during it (a participant's completion just
            # committed) runs the next pass at once instead of after the interval.
            self._wake.clear()
            started = time.monotonic()
            # about an interval since the last whole pass (a timer may fire a hair early)
            timely = started - whole_at >= 0.9 * self._policy.every.total_seconds()
            everything, self._whole_pass_asked = timely or self._whole_pass_asked, False
            try:
                await self.run_once(observe=timely, everything=everything)
                if timely:
                    whole_at = started
            except Exception as error:
                if not is_transient(error):
                    log.exception("purge pass failed", extra={"error": type(error).__name__})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._policy.every.total_seconds()):
                    await self._wake.wait()

    async def run_once(self, *, observe: bool = True, everything: bool = True) -> None:
        """One pass over every step, in order (never two passes at once); `observe`: the
        gauges too; not `everything`: only the steps that take purges under way further."""
        async with self._one_pass_at_a_time:
            if everything:
                await self.start_due_purges()
                await self.resume_held_erasures()
                await self.ask_participants()
            await self.shred_keys_and_certify()
            if observe:
                await self.observe()

    async def _held(self) -> HeldItems:
        holds = await self._stores.reads().holds.unreleased()
        return HeldItems.of(holds, now=self._clock.now())

    async def start_due_purges(self) -> None:
        """Due, unheld organisations (P7) and idle requests (P8) become pending purges."""
        now, held = self._clock.now(), await self._held()
        batch, reads = self._policy.batch_size, self._stores.reads()
        for organisation in await reads.organisations.due(now=now, limit=batch, held=held):
            clocks = await reads.clocks.of_organisation(organisation.organisation_id)
            keep = tuple(
                sorted(
                    c.request_id
                    for c in clocks
                    if held.covers_request(
                        request_id=c.request_id, requester_id=c.requester_id, organisation_id=None
                    )
                )
            )
            purge = new_purge(
                erasure_id=str(uuid4()),
                scope_kind="organisation",
                scope_id=organisation.organisation_id,
                ground="customer_retention_expired",
                requested_at=now,
                within=self._policy.erasure_within,
                keep_request_ids=keep,
                kept_requests={"legal_hold": len(keep)} if keep else {},
                keep_data_subject_ids=tuple(sorted(held.persons)),
            )
            async with self._stores.transaction() as uow:
                if not await uow.organisations.start_purge(
                    organisation.organisation_id, purge_id=purge.erasure_id
                ):
                    continue  # another scheduler (a replica) started its purge meanwhile
                await uow.purges.add(purge)
            self._metrics.purges_started.labels(ground=purge.ground).inc()
        due = await reads.clocks.due(now=now, limit=batch, held=held)
        if not due:
            return
        started: Counter[str] = Counter()
        async with self._stores.transaction() as uow:
            for clock in due:
                theirs = await uow.clocks.of_requester(clock.requester_id)
                last = all(other.request_id == clock.request_id for other in theirs)
                purge = new_purge(
                    erasure_id=str(uuid4()),
                    scope_kind="request",
                    scope_id=clock.request_id,
                    ground=clock.erasure_ground or "inactivity",
                    requested_at=now,
                    within=self._policy.erasure_within,
                    keep_data_subject_ids=tuple(sorted(held.persons)),
                    data_subject_ids=(clock.requester_id,) if last else (),
                )
                if await uow.clocks.mark_purging(clock.request_id, purge_id=purge.erasure_id):
                    await uow.purges.add(purge)
                    started[purge.ground] += 1
        for ground, count in started.items():
            self._metrics.purges_started.labels(ground=ground).inc(count)

    async def resume_held_erasures(self) -> None:
        """Persons whose erasure a hold held back, no longer held: their erasure starts."""
        started = await resume_held_erasures(
            stores=self._stores,
            now=self._clock.now(),
            within=self._policy.erasure_within,
            limit=self._policy.batch_size,
        )
        for ground, count in started.items():
            self._metrics.purges_started.labels(ground=ground).inc(count)

    async def ask_participants(self) -> None:
        """Publish the erasure request of pending purges; ask late participants again."""
        now = self._clock.now()
        batch, purges = self._policy.batch_size, self._stores.reads().purges
        pending = await purges.in_state("pending", limit=batch)
        waiting = await purges.in_state("erasure_requested", limit=10 * batch)
        late_after = self._policy.late_after
        overdue = [p for p in waiting if p.is_late(now=now, late_after=late_after)]
        self._metrics.participants_late.set(sum(len(p.missing_participants) for p in overdue))
        late = [p for p in overdue if p.should_ask_again(now=now, late_after=late_after)]
        for purge in [*pending, *late]:
            async with self._stores.transaction() as uow:
                await uow.publish(topics.PRIVACY_ERASURE, erasure_requested_event(purge))
                await uow.purges.save(asked(purge, at=now))
            if purge.state != "pending":
                self._metrics.erasure_retries.inc()
                log.warning(
                    "erasure participants late; asked again",
                    extra={"erasure_id": purge.erasure_id, "late": purge.missing_participants},
                )

    async def shred_keys_and_certify(self) -> None:
        """Every participant completed: shred the erased data subjects' keys; keys gone: record
        the deletion certificate, and the purge is done. One read finds both kinds (a purge
        shredded by a pass that stopped before certifying is certified by the next)."""
        ready = await self._stores.reads().purges.in_state(
            ("participants_completed", "keys_shredded"), limit=self._policy.batch_size
        )
        for purge in ready:
            shredded = await self._shred_keys(purge) if purge.state != "keys_shredded" else purge
            await self._certify(shredded)

    async def _shred_keys(self, purge: Purge) -> Purge:
        reads = self._stores.reads()
        reported = sorted({s for c in purge.participants.values() for s in c.data_subject_ids})
        retained = await reads.clocks.requesters_retained(reported)
        shredded = await self._keys.shred_many(
            list(subjects_to_shred(purge, still_retained=retained))
        )
        self._metrics.keys_shredded.inc(shredded)
        done = replace(purge, state="keys_shredded", keys_shredded=purge.keys_shredded + shredded)
        await reads.purges.save(done)
        return done

    async def _certify(self, purge: Purge) -> None:
        certified_at = self._clock.now()
        async with self._stores.transaction() as uow:
            await uow.certificates.record(certificate(purge, certified_at=certified_at))
            await uow.purges.save(replace(purge, state="certified"))
        self._announce_certified(purge.erasure_id)
        self._metrics.purges_completed.labels(ground=purge.ground).inc()
        self._metrics.erasure_completion.observe(
            (certified_at - purge.requested_at).total_seconds()
        )

    async def observe(self) -> None:
        """Gauges: due within 30 days, overdue (purges past their deadline too), holds in force;
        the same counts as the operator's overview."""
        now, reads = self._clock.now(), self._stores.reads()
        holds = await reads.holds.unreleased()
        counts = await reads.overview.counts(now=now, held=HeldItems.of(holds, now=now))
        self._metrics.due_soon.set(counts["due_next_30_days"])
        self._metrics.overdue.set(counts["overdue"] + counts["purges_past_deadline"])
        self._metrics.holds_active.set(sum(1 for h in holds if h.is_active(now)))
