"""Write-behind for one batch transaction: inserts (and "add if absent" upserts) are held and
sent per collection in one `bulk_write`, so a batch of events costs a round trip per collection,
not per document.

Reads still see every write of the transaction:
- `find_one` with a plain equality filter that no held write could change the answer to goes
  straight to the store; otherwise the collection is flushed first;
- any other asynchronous operation on a collection flushes that collection first;
- a synchronous one (`find`, `aggregate`: cursors) on a collection with held inserts raises
  `WriteBehindUnsupported`, which makes the batch fall back to one transaction per event.

A unique-index violation surfaces at the flush, not at `insert_one`; the batch then fails as a
whole and the caller falls back to one transaction per event, where it surfaces in place.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.results import InsertManyResult, InsertOneResult, UpdateResult

from shared.mongo import Document, Transaction


class WriteBehindUnsupported(RuntimeError):
    """An operation that cannot see held inserts was asked for while some were held."""


def _plain_equality(query: Any) -> bool:
    """A filter of top-level fields compared to plain values (no operators, no dotted paths, no
    dates: values Python compares as Mongo does)."""
    return isinstance(query, dict) and all(
        isinstance(field, str)
        and not field.startswith("$")
        and "." not in field
        and (value is None or isinstance(value, str | int | float | ObjectId))
        for field, value in query.items()
    )


def _id_only(query: Any) -> bool:
    return _plain_equality(query) and list(query) == ["_id"]


@dataclass(frozen=True)
class _Held:
    """A held write and the document it adds (if absent, for an upsert)."""

    operation: InsertOne[Document] | UpdateOne
    document: Document

    def concerns(self, query: Document) -> bool:
        """Whether this write could change what `find_one(query)` finds: only by adding a
        document the query matches."""
        return all(self.document.get(field) == value for field, value in query.items())


class WriteBehindCollection:
    """A collection whose inserts, and upserts that only set on insert, are held until `flush`."""

    def __init__(self, collection: AsyncCollection[Document], session: AsyncClientSession):
        self._collection = collection
        self._session = session
        self._held: list[_Held] = []

    async def flush(self) -> None:
        if self._held:
            held, self._held = self._held, []
            await self._collection.bulk_write(
                [write.operation for write in held], ordered=True, session=self._session
            )

    async def insert_one(self, document: Document, *_args: Any, **_kwargs: Any) -> InsertOneResult:
        document.setdefault("_id", ObjectId())  # as PyMongo does: the caller sees the id
        held = copy.deepcopy(document)
        self._held.append(_Held(InsertOne(held), held))
        return InsertOneResult(document["_id"], acknowledged=True)

    async def insert_many(
        self, documents: list[Document], *_args: Any, **_kwargs: Any
    ) -> InsertManyResult:
        ids = [(await self.insert_one(document)).inserted_id for document in documents]
        return InsertManyResult(ids, acknowledged=True)

    async def update_one(
        self, query: Document, update: Document, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        """ "Add if absent" (an upsert by `_id` that only sets on insert) is held; its result is
        unacknowledged, so a caller that reads it fails the batch. Anything else runs now."""
        if upsert and _id_only(query) and list(update) == ["$setOnInsert"]:
            operation = UpdateOne(copy.deepcopy(query), copy.deepcopy(update), upsert=True)
            self._held.append(_Held(operation, {**update["$setOnInsert"], **query}))
            return UpdateResult({}, acknowledged=False)
        await self.flush()
        return await self._collection.update_one(query, update, upsert=upsert, **kwargs)

    async def find_one(self, query: Any = None, *args: Any, **kwargs: Any) -> Document | None:
        if self._held and not (
            _plain_equality(query) and not any(held.concerns(query) for held in self._held)
        ):
            await self.flush()
        return await self._collection.find_one(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._collection, name)
        if not callable(attribute):
            return attribute
        if not inspect.iscoroutinefunction(attribute):
            if self._held:
                raise WriteBehindUnsupported(f"{name} on a collection with held writes")
            return attribute
        return self._flushing(cast(Callable[..., Awaitable[Any]], attribute))

    def _flushing(self, operation: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def flushed_first(*args: Any, **kwargs: Any) -> Any:
            await self.flush()
            return await operation(*args, **kwargs)

        return flushed_first


class WriteBehindDatabase:
    """`database[name]` for the handlers of one batch; `flush` sends every held insert."""

    def __init__(self, database: AsyncDatabase[Document], session: AsyncClientSession):
        self._database = database
        self._session = session
        self._collections: dict[str, WriteBehindCollection] = {}

    def __getitem__(self, name: str) -> WriteBehindCollection:
        if name not in self._collections:
            self._collections[name] = WriteBehindCollection(self._database[name], self._session)
        return self._collections[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)

    async def flush(self) -> None:
        for collection in self._collections.values():
            await collection.flush()


def write_behind(tx: Transaction) -> tuple[Transaction, WriteBehindDatabase]:
    """The same transaction seen through a write-behind database, and that database (to flush
    before commit)."""
    database = WriteBehindDatabase(tx.database, tx.session)
    seen = Transaction(
        database=cast(AsyncDatabase[Document], database),
        session=tx.session,
        committed=tx.committed,
    )
    return seen, database
