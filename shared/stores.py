"""The adapters' two building blocks, the same in every service: a collection store and a unit
of work. A store is `MongoX(database, tx=None)`, a `MongoCollection` (or, over several
collections, a `MongoStore`): inside the transaction when one is given, reading committed data
outside one. A unit of work holds a service's stores in one transaction
with its outbox; `unit_of_work_factory` opens one per use case and wakes the relay after the
commit."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, ClassVar, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.events import CloudEvent
from shared.mongo import Document, Transaction, TransactionRunner
from shared.outbox import add_many_to_outbox, add_to_outbox
from shared.write_behind import WriteBehindDatabase, write_behind


def document_of(record: Any) -> Document:
    """A dataclass as the document that stores it: `dataclasses.asdict` without its deep copy
    of every value (a held write keeps a copy of its own; a sent one is encoded at once), and
    tuples as lists, the arrays they are read back as (and match as, in a held write)."""
    return {
        field.name: _stored(getattr(record, field.name)) for field in dataclasses.fields(record)
    }


def _stored(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return document_of(value)
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    return value


class MongoStore:
    """A store of a service's database, used inside the transaction when one is given (its
    session is then `_session`; None reads and writes committed data). A store over several
    collections takes them from `_database`; one over a single collection is a
    `MongoCollection`."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self._database = database
        self._tx = tx
        self._session: AsyncClientSession | None = tx.session if tx else None


class MongoCollection(MongoStore):
    """One collection of a service's database (`collection_name`, or `name=`), used inside the
    transaction when one is given. `_find_one`, `_insert` and `_set` are the plain reads and
    writes the stores of every service make, in the store's session; anything else goes to
    `_collection` with `session=self._session`."""

    collection_name: ClassVar[str] = ""

    def __init__(
        self, database: AsyncDatabase[Document], tx: Transaction | None = None, *, name: str = ""
    ) -> None:
        chosen = name or self.collection_name
        if not chosen:
            raise TypeError(f"{type(self).__name__} names no collection")
        super().__init__(database, tx)
        self._collection: AsyncCollection[Document] = database[chosen]

    async def _find_one(self, query: Document) -> Document | None:
        return await self._collection.find_one(query, session=self._session)

    async def _insert(self, document: Document) -> None:
        await self._collection.insert_one(document, session=self._session)

    async def _set(self, query: Document, values: Document) -> int:
        """Set `values` on the document `query` finds; how many it changed (0 or 1)."""
        done = await self._collection.update_one(query, {"$set": values}, session=self._session)
        return done.modified_count


class MongoUnitOfWork:
    """A service's stores in one transaction with its outbox (or, without a transaction, the
    same stores reading committed data; nothing is published then)."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self.database = database
        self.tx = tx

    def held_writes(self) -> WriteBehindDatabase | None:
        """The transaction's held writes, where it holds them (`held_writes=True` below)."""
        return self.database if isinstance(self.database, WriteBehindDatabase) else None

    def _transaction(self) -> Transaction:
        if self.tx is None:
            raise RuntimeError("events are only published from inside a transaction")
        return self.tx

    async def publish(self, topic: str, event: CloudEvent) -> None:
        await add_to_outbox(self._transaction(), topic=topic, event=event)

    async def publish_many(self, topic: str, events: list[CloudEvent]) -> None:
        await add_many_to_outbox(self._transaction(), topic=topic, events=events)


UnitOfWork = TypeVar("UnitOfWork", bound=MongoUnitOfWork)

UnitOfWorkFactory = Callable[[], AbstractAsyncContextManager[UnitOfWork]]
"""What the service layer is given: `async with unit_of_work() as uow:` is one use case."""


def unit_of_work_factory(
    runner: TransactionRunner,
    after_commit: Callable[[], None],
    make: Callable[[AsyncDatabase[Document], Transaction], UnitOfWork],
    *,
    held_writes: bool = False,
) -> UnitOfWorkFactory[UnitOfWork]:
    """Units of work of `make`'s kind (a service's `MongoXUnitOfWork`), each one transaction;
    `after_commit` (the relay's wake-up) runs once it has committed. The one factory: a service
    calls it in its `create_app` with its unit of work. `held_writes`: inserts are held and sent
    together before the commit (shared/write_behind.py), for work that mostly inserts."""

    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[UnitOfWork]:
        async with runner.transaction() as tx:
            if not held_writes:
                yield make(tx.database, tx)
            else:
                seen, held = write_behind(tx, in_batch=False)
                yield make(seen.database, seen)
                await held.flush()
        after_commit()

    return unit_of_work


EventHandler = Callable[[CloudEvent, Transaction], Awaitable[None]]
"""What a consumer runs for one event, inside the transaction that also records it as handled."""


def handled_in(
    make: Callable[[AsyncDatabase[Document], Transaction], UnitOfWork],
) -> Callable[[Callable[[CloudEvent, UnitOfWork], Awaitable[object]]], EventHandler]:
    """The one way a subscriber calls the service layer: `on = handled_in(MongoXUnitOfWork)`,
    then `on(lambda event, uow: handlers.x(event, uow=uow, ...))` is the consumer's handler,
    run in the consumer's transaction through the service's unit of work."""

    def on(handle: Callable[[CloudEvent, UnitOfWork], Awaitable[object]]) -> EventHandler:
        async def handler(event: CloudEvent, tx: Transaction) -> None:
            await handle(event, make(tx.database, tx))

        return handler

    return on
