"""access's unit of work: every store joined to one MongoDB transaction, plus the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime

from pymongo import InsertOne
from pymongo.asynchronous.database import AsyncDatabase

from services.access.account_store import MongoAccounts, MongoMailbox, MongoStaff
from services.access.audit_log import AUDIT, MongoAuditLog, audit_document
from services.access.directory import MongoDirectory, MongoShareGrants
from services.access.domain import ReadAudit
from services.access.repository import MongoRequestReadModel
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent
from shared.mongo import Document, Transaction, TransactionRunner
from shared.outbox import OUTBOX, add_many_to_outbox, add_to_outbox, outbox_documents


class MongoAccessUnitOfWork:
    """The stores, in a transaction (or, for plain reads, outside one)."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        session = tx.session if tx else None
        self._database = database
        self._tx = tx
        self.requests = MongoRequestReadModel(database, session)
        self.audit = MongoAuditLog(database, session)
        self.directory = MongoDirectory(database, session)
        self.grants = MongoShareGrants(database, session)
        self.accounts = MongoAccounts(database, session)
        self.staff = MongoStaff(database, session)
        self.mailbox = MongoMailbox(database, session)

    @classmethod
    def in_transaction(cls, tx: Transaction) -> MongoAccessUnitOfWork:
        return cls(tx.database, tx)

    def erasure_progress(self, erasure_id: str, *, now: datetime) -> ErasureProgress:
        return ErasureProgress(self._database, erasure_id, now=now)

    def outside_transaction(self) -> MongoAccessUnitOfWork:
        """The same stores reading committed data outside the transaction: independent reads
        can then run concurrently (a session runs one operation at a time)."""
        return MongoAccessUnitOfWork(self._database)

    async def record_read(self, audit: ReadAudit, *, topic: str, event: CloudEvent) -> None:
        """A read's audit record and its event, in the transaction, so they commit together or
        not at all: one round trip (a bulk write over both collections), whatever the read
        returned (a detail or a whole page is one record)."""
        if self._tx is None:
            raise RuntimeError("read audits are only recorded inside a transaction")
        name = self._database.name
        [staged] = outbox_documents(topic=topic, events=[event])
        await self._database.client.bulk_write(
            [
                InsertOne(audit_document(audit), namespace=f"{name}.{AUDIT}"),
                InsertOne(staged, namespace=f"{name}.{OUTBOX}"),
            ],
            ordered=True,
            session=self._tx.session,
        )

    async def publish(self, topic: str, event: CloudEvent) -> None:
        if self._tx is None:
            raise RuntimeError("events are only published from inside a transaction")
        await add_to_outbox(self._tx, topic=topic, event=event)

    async def publish_many(self, topic: str, events: list[CloudEvent]) -> None:
        if self._tx is None:
            raise RuntimeError("events are only published from inside a transaction")
        await add_many_to_outbox(self._tx, topic=topic, events=events)


UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[MongoAccessUnitOfWork]]


def unit_of_work_factory(
    runner: TransactionRunner, after_commit: Callable[[], None]
) -> UnitOfWorkFactory:
    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[MongoAccessUnitOfWork]:
        async with runner.transaction() as tx:
            yield MongoAccessUnitOfWork.in_transaction(tx)
        after_commit()

    return unit_of_work
