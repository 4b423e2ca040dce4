"""Two replicas of retention run two purge schedulers over one store: a due organisation and
a due idle request each get one purge (one erasure id, one certificate), not one per replica,
even when one replica read what was due before the other's pass committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from services.retention.domain import OrganisationClock, RetentionClock
from services.retention.metrics import RetentionMetrics
from services.retention.scheduler import PurgeScheduler, SchedulerPolicy
from services.retention.unit_of_work import MongoRetentionUnitOfWork, RetentionStores
from shared.clock import SystemClock
from shared.crypto import InMemoryKeyStore
from shared.mongo import TransactionRunner

ORGANISATIONS, REQUESTS = 5, 20


@pytest.fixture
def stores(scratch_runner: TransactionRunner) -> RetentionStores:
    return RetentionStores(scratch_runner, after_commit=lambda: None)


class StaleReads(RetentionStores):
    """A replica's view of what is due, read before the other replica's pass committed."""

    def __init__(self, stores: RetentionStores, organisations: list[Any], requests: list[Any]):
        self.__dict__.update(stores.__dict__)
        self._stale = organisations, requests

    def reads(self) -> MongoRetentionUnitOfWork:
        uow = super().reads()
        organisations, requests = self._stale

        async def stale_organisations(**_: Any) -> list[Any]:
            return organisations

        async def stale_requests(**_: Any) -> list[Any]:
            return requests

        setattr(uow.organisations, "due", stale_organisations)  # noqa: B010
        setattr(uow.clocks, "due", stale_requests)  # noqa: B010
        return uow


def scheduler(stores: RetentionStores) -> PurgeScheduler:
    return PurgeScheduler(
        stores=stores,
        keys=InMemoryKeyStore(),
        clock=SystemClock(),
        metrics=RetentionMetrics(CollectorRegistry()),
        policy=SchedulerPolicy(
            every=timedelta(seconds=1),
            batch_size=100,
            erasure_within=timedelta(hours=1),
            late_after=timedelta(seconds=30),
        ),
    )


async def test_two_schedulers_start_one_purge_per_due_organisation_and_request(
    stores: RetentionStores,
) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=800)
    async with stores.transaction() as uow:
        for n in range(ORGANISATIONS):
            await uow.organisations.save(
                OrganisationClock(
                    organisation_id=f"org-{n}",
                    contract_state="terminated",
                    termination_date=long_ago,
                    terminated_at=long_ago,
                    reinstated_at=None,
                    purge_due_at=long_ago + timedelta(days=365),
                )
            )
        for n in range(REQUESTS):
            await uow.clocks.save(
                RetentionClock(
                    request_id=f"request-{n}",
                    requester_id=f"person-{n}",
                    organisation_id=None,
                    rule="inactivity",
                    last_activity_at=long_ago,
                    purge_due_at=long_ago + timedelta(days=365),
                )
            )

    # The other replica read what was due just before this one's pass, and writes after it.
    now, reads = datetime.now(UTC), stores.reads()
    due_organisations = await reads.organisations.due(now=now, limit=100)
    due_requests = await reads.clocks.due(now=now, limit=100)
    await scheduler(stores).start_due_purges()
    await scheduler(StaleReads(stores, due_organisations, due_requests)).start_due_purges()

    purges = await stores.reads().purges.in_state("pending", limit=1000)
    assert sorted(p.scope_id for p in purges) == sorted(
        [f"org-{n}" for n in range(ORGANISATIONS)] + [f"request-{n}" for n in range(REQUESTS)]
    )
