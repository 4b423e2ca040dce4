"""retention's unit of work: its stores, in one MongoDB transaction with the outbox, or reading
committed data outside one."""

from __future__ import annotations

from collections.abc import Callable

from pymongo.asynchronous.database import AsyncDatabase

from services.retention.purge_store import (
    MongoCertificates,
    MongoExports,
    MongoHeldErasures,
    MongoPurges,
)
from services.retention.register_store import MongoProcessors
from services.retention.repository import (
    MongoLegalHolds,
    MongoOrganisationClocks,
    MongoRetentionClocks,
)
from services.retention.status_store import RetentionOverview
from shared.mongo import Document, Transaction, TransactionRunner
from shared.person_links import MongoPersonLinks
from shared.stores import MongoUnitOfWork, unit_of_work_factory


class MongoRetentionUnitOfWork(MongoUnitOfWork):
    """Clocks, holds, purges, certificates, exports, the processor register and which
    data-subject ids are one person's."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        super().__init__(database, tx)
        self.clocks = MongoRetentionClocks(database, tx)
        self.organisations = MongoOrganisationClocks(database, tx)
        self.holds = MongoLegalHolds(database, tx)
        self.purges = MongoPurges(database, tx)
        self.certificates = MongoCertificates(database, tx)
        self.exports = MongoExports(database, tx)
        self.processors = MongoProcessors(database, tx)
        self.persons = MongoPersonLinks(database, tx)
        self.held_erasures = MongoHeldErasures(database, tx)
        self.overview = RetentionOverview(database)


class RetentionStores:
    """How the service layer reaches retention's stores: `transaction()` for a unit of work
    that commits (then wakes the outbox relay), `reads()` for committed data."""

    def __init__(self, runner: TransactionRunner, after_commit: Callable[[], None]) -> None:
        self._runner = runner
        self.transaction = unit_of_work_factory(runner, after_commit, MongoRetentionUnitOfWork)

    def reads(self) -> MongoRetentionUnitOfWork:
        return MongoRetentionUnitOfWork(self._runner.database)
