"""The end of a purge on the real store: one scheduler pass shreds the keys of a purge whose
participants all completed and certifies it, and certifies a purge an earlier pass shredded but
stopped before certifying (a crash between the two), without shredding again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from prometheus_client import CollectorRegistry

from services.retention.erasure import ParticipantCompletion, Purge, new_purge
from services.retention.metrics import RetentionMetrics
from services.retention.scheduler import PurgeScheduler, SchedulerPolicy
from services.retention.unit_of_work import RetentionStores
from shared.clock import SystemClock
from shared.crypto import InMemoryKeyStore
from shared.events.privacy import PARTICIPANTS
from shared.mongo import TransactionRunner


def _completed(person: str) -> Purge:
    now = datetime.now(UTC)
    purge = new_purge(
        erasure_id=str(uuid4()),
        scope_kind="person",
        scope_id=person,
        ground="erasure_request",
        requested_at=now,
        within=timedelta(hours=1),
    )
    answer = ParticipantCompletion(
        completed_at=now, counts={"things": 1}, data_subject_ids=(person,), remaining={}
    )
    participants = dict.fromkeys(PARTICIPANTS, answer)
    return replace(purge, state="participants_completed", participants=participants)


async def test_one_pass_shreds_and_certifies_and_finishes_a_purge_stopped_after_shredding(
    scratch_runner: TransactionRunner,
) -> None:
    stores = RetentionStores(scratch_runner, after_commit=lambda: None)
    keys = InMemoryKeyStore()
    announced: list[str] = []
    scheduler = PurgeScheduler(
        stores=stores,
        keys=keys,
        clock=SystemClock(),
        metrics=RetentionMetrics(CollectorRegistry()),
        policy=SchedulerPolicy(
            every=timedelta(seconds=60),
            batch_size=100,
            erasure_within=timedelta(hours=1),
            late_after=timedelta(seconds=30),
        ),
        announce_certified=announced.append,
    )
    fresh, stopped = str(uuid4()), str(uuid4())
    for person in (fresh, stopped):
        await keys.create_key(person)
    ready = _completed(fresh)
    # the earlier pass shredded this one's key (1) and stopped before certifying it
    interrupted = replace(_completed(stopped), state="keys_shredded", keys_shredded=1)
    await keys.shred(stopped)
    async with stores.transaction() as uow:
        await uow.purges.add(ready)
        await uow.purges.add(interrupted)

    await scheduler.run_once(observe=False, everything=False)

    reads = stores.reads()
    assert sorted(announced) == sorted([ready.erasure_id, interrupted.erasure_id])
    assert await keys.existing_key(fresh) is None
    for purge, shredded in ((ready, 1), (interrupted, 1)):
        stored = await reads.purges.get(purge.erasure_id)
        assert stored is not None and stored.state == "certified"
        recorded = await reads.certificates.get(purge.erasure_id)
        assert recorded is not None and recorded["keys_shredded"] == shredded
