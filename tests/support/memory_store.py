"""An in-memory MongoDB for the fast test layer: mongomock behind the slice of PyMongo's async
API the services use (awaitable methods, async cursors, sessions and transactions).

A transaction that is aborted puts every collection back as it was when it began (mongomock
has no transactions), including what was written outside it meanwhile; tests in this layer run
one transaction at a time, so that is the same as MongoDB's rollback for them. Real isolation,
write conflicts and durability are the real-infrastructure layer's to prove.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import AsyncIterator, Iterator
from typing import Any

import mongomock
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

Document = dict[str, Any]


def _without_session(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.pop("session", None)
    return kwargs


class MemoryCursor:
    """`find`'s cursor: chain sort/limit/skip, then `to_list()` or `async for`."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def sort(self, key: Any, direction: int | None = None) -> MemoryCursor:
        self._cursor = self._cursor.sort(key, direction) if direction else self._cursor.sort(key)
        return self

    def limit(self, count: int) -> MemoryCursor:
        self._cursor = self._cursor.limit(count)
        return self

    def skip(self, count: int) -> MemoryCursor:
        self._cursor = self._cursor.skip(count)
        return self

    async def to_list(self, length: int | None = None) -> list[Document]:
        found = list(self._cursor)
        return found if length is None else found[:length]

    def __aiter__(self) -> AsyncIterator[Document]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Document]:
        for document in list(self._cursor):
            yield document


class MemoryCollection:
    def __init__(self, database: MemoryDatabase, collection: Any) -> None:
        self.database = database
        self._collection = collection
        self.name = collection.name
        self.full_name = f"{database.name}.{collection.name}"

    def find(self, *args: Any, **kwargs: Any) -> MemoryCursor:
        return MemoryCursor(self._collection.find(*args, **_without_session(kwargs)))

    async def aggregate(self, pipeline: list[Document], **kwargs: Any) -> MemoryCursor:
        return MemoryCursor(iter(list(self._collection.aggregate(pipeline))))

    async def bulk_write(self, requests: list[Any], **kwargs: Any) -> None:
        """PyMongo's write operations one by one (mongomock's own `bulk_write` predates
        the `sort` of today's `UpdateOne`)."""
        for op in requests:
            if isinstance(op, InsertOne):
                self._collection.insert_one(op._doc)
            elif isinstance(op, UpdateOne | ReplaceOne):
                write = (
                    self._collection.update_one
                    if isinstance(op, UpdateOne)
                    else (self._collection.replace_one)
                )
                write(op._filter, op._doc, upsert=op._upsert)
            elif isinstance(op, DeleteOne):
                self._collection.delete_one(op._filter)
            else:
                raise TypeError(f"no in-memory bulk write for {type(op).__name__}")

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **_without_session(kwargs))

        return call


class MemoryDatabase:
    def __init__(self, client: MemoryMongo, name: str) -> None:
        self.client = client
        self.name = name

    def __getitem__(self, name: str) -> MemoryCollection:
        return MemoryCollection(self, self.client.raw[self.name][name])

    __getattr__ = __getitem__

    async def list_collection_names(self) -> list[str]:
        return list(self.client.raw[self.name].list_collection_names())

    async def command(self, name: str, *args: Any, **kwargs: Any) -> Document:
        return {"ok": 1.0}


class MemorySession:
    def __init__(self, client: MemoryMongo) -> None:
        self._client = client

    async def __aenter__(self) -> MemorySession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def start_transaction(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self._client.transaction()


class MemoryMongo:
    """An AsyncMongoClient-like client of one in-memory server shared by every service."""

    def __init__(self) -> None:
        self.raw = mongomock.MongoClient(tz_aware=True)
        self.admin = MemoryDatabase(self, "admin")

    def __getitem__(self, name: str) -> MemoryDatabase:
        return MemoryDatabase(self, name)

    def start_session(self) -> MemorySession:
        return MemorySession(self)

    async def bulk_write(self, requests: list[Any], **kwargs: Any) -> None:
        """A client-level bulk write: each operation names its `database.collection`."""
        for op in requests:
            database, _, collection = op._namespace.partition(".")
            await self[database][collection].bulk_write([op])

    async def list_database_names(self) -> list[str]:
        return list(self.raw.list_database_names())

    async def close(self) -> None:
        return None

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        snapshot = self._snapshot()
        try:
            yield
        except BaseException:
            self._restore(snapshot)
            raise

    def documents(self) -> Iterator[tuple[str, str, Document]]:
        """(database, collection, document) of everything stored."""
        for database in self.raw.list_database_names():
            for name in self.raw[database].list_collection_names():
                for document in self.raw[database][name].find({}):
                    yield database, name, document

    def _snapshot(self) -> dict[tuple[str, str], list[Document]]:
        return {
            (database, name): copy.deepcopy(list(self.raw[database][name].find({})))
            for database in self.raw.list_database_names()
            for name in self.raw[database].list_collection_names()
        }

    def _restore(self, snapshot: dict[tuple[str, str], list[Document]]) -> None:
        for database in self.raw.list_database_names():
            for name in self.raw[database].list_collection_names():
                collection = self.raw[database][name]
                collection.delete_many({})
                if snapshot.get((database, name)):
                    collection.insert_many(snapshot[(database, name)])
