"""access's unit of work: every store joined to one MongoDB transaction, plus the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

from services.access.account_store import MongoAccounts, MongoMailbox, MongoStaff
from services.access.audit_log import MongoAuditLog
from services.access.directory import MongoDirectory, MongoShareGrants
from services.access.domain import ReadAudit
from services.access.repository import MongoRequestReadModel
from shared import stores
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.mongo import Document, Transaction
from shared.stores import MongoUnitOfWork


class MongoAccessUnitOfWork(MongoUnitOfWork):
    """The stores, in a transaction (or, for plain reads, outside one)."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        super().__init__(database, tx)
        self.requests = MongoRequestReadModel(database, tx)
        self.audit = MongoAuditLog(database, tx)
        self.directory = MongoDirectory(database, tx)
        self.grants = MongoShareGrants(database, tx)
        self.accounts = MongoAccounts(database, tx)
        self.staff = MongoStaff(database, tx)
        self.mailbox = MongoMailbox(database, tx)

    @classmethod
    def in_transaction(cls, tx: Transaction) -> MongoAccessUnitOfWork:
        return cls(tx.database, tx)

    def erasure_progress(self, erasure_id: str, *, now: datetime) -> ErasureProgress:
        return ErasureProgress(self.database, erasure_id, now=now)

    def outside_transaction(self) -> MongoAccessUnitOfWork:
        """The same stores reading committed data outside the transaction: independent reads
        can then run concurrently (a session runs one operation at a time)."""
        return MongoAccessUnitOfWork(self.database)

    async def record_read(self, audit: ReadAudit, *, topic: str, event: CloudEvent) -> None:
        """A read's audit record with its event in it: one document, so they are written
        together or not at all, in a transaction or outside one (MongoAuditLog.record)."""
        await self.audit.record(audit, topic=topic, event=event)


UnitOfWorkFactory = stores.UnitOfWorkFactory[MongoAccessUnitOfWork]


def audited_read_factory(
    database: AsyncDatabase[Document], after_read: Callable[[], None]
) -> UnitOfWorkFactory:
    """Units of work of audited reads: they read committed data and write one audit document,
    so they need no transaction (the one place a unit of work is not made by
    `shared.stores.unit_of_work_factory`); `after_read` wakes the audit relay."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[MongoAccessUnitOfWork]:
        yield MongoAccessUnitOfWork(database)
        after_read()

    return unit_of_work
