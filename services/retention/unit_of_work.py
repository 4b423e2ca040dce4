"""retention's unit of work: its stores, in one MongoDB transaction with the outbox, or reading
committed data outside one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from pymongo.asynchronous.database import AsyncDatabase

from services.retention.purge_store import MongoCertificates, MongoExports, MongoPurges
from services.retention.register_store import MongoProcessors
from services.retention.repository import (
    MongoLegalHolds,
    MongoOrganisationClocks,
    MongoRetentionClocks,
)
from services.retention.status_store import RetentionOverview
from shared.events import CloudEvent
from shared.mongo import Document, Transaction, TransactionRunner
from shared.outbox import add_to_outbox


class MongoRetentionUnitOfWork:
    """Clocks, holds, purges, certificates, exports and the processor register."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self._tx = tx
        self.clocks = MongoRetentionClocks(database, tx)
        self.organisations = MongoOrganisationClocks(database, tx)
        self.holds = MongoLegalHolds(database, tx)
        self.purges = MongoPurges(database, tx)
        self.certificates = MongoCertificates(database, tx)
        self.exports = MongoExports(database, tx)
        self.processors = MongoProcessors(database)
        self.overview = RetentionOverview(database)

    async def publish(self, topic: str, event: CloudEvent) -> None:
        if self._tx is None:
            raise RuntimeError("events are only published from inside a transaction")
        await add_to_outbox(self._tx, topic=topic, event=event)


class RetentionStores:
    """How the service layer reaches retention's stores: `transaction()` for a unit of work
    that commits (then wakes the outbox relay), `reads()` for committed data."""

    def __init__(self, runner: TransactionRunner, after_commit: Callable[[], None]) -> None:
        self._runner = runner
        self._after_commit = after_commit

    def transaction(self) -> AbstractAsyncContextManager[MongoRetentionUnitOfWork]:
        return self._transaction()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[MongoRetentionUnitOfWork]:
        async with self._runner.transaction() as tx:
            yield MongoRetentionUnitOfWork(tx.database, tx)
        self._after_commit()

    def reads(self) -> MongoRetentionUnitOfWork:
        return MongoRetentionUnitOfWork(self._runner.database)
