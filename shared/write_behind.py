"""Write-behind for one batch transaction: inserts and upserts by `_id` are held and sent per
collection in one `bulk_write`, so a batch of events costs a round trip per collection, not per
document.

Reads still see every write of the transaction:
- `find_one` with a plain equality filter that no held write could change the answer to (an
  "add if absent" of a document it does not match, an upsert of another `_id`) goes straight
  to the store; otherwise the collection is flushed first;
- any other asynchronous operation on a collection flushes that collection first;
- a synchronous one (`find`, `aggregate`: cursors) on a collection with held inserts raises
  `WriteBehindUnsupported`, which makes the batch fall back to one transaction per event.

A batch's preparer may read ahead what the handlers will look up: `prime` (documents by a field,
an array's items included; `shared.read_ahead.find_any` answers from them too) and
`upsert_each` (a look-up that writes, such as an erasure check that must hold until the
commit), answered from memory until another write to the collection.

A unique-index violation surfaces at the flush, not at `insert_one`; the batch then fails as a
whole and the caller falls back to one transaction per event, where it surfaces in place.

At the end (`WriteBehindDatabase.flush`) a few held writes spread over several collections go
in one client-level `bulkWrite`: one round trip for a web submission's seven documents, where
a round trip per collection cost three times the client's CPU (BENCHMARKS.md §18).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

from bson import ObjectId
from pymongo import InsertOne, ReplaceOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.results import InsertManyResult, InsertOneResult, UpdateResult

from shared.held_writes import Held, HeldQueue, copied, id_only, plain_equality, values_of
from shared.mongo import IN_CHUNK, Document, Transaction
from shared.primed import PrimedDocuments


class WriteBehindUnsupported(RuntimeError):
    """An operation that cannot see held inserts was asked for while some were held."""


CLIENT_BULK_MAX = 64
"""At most this many held writes, across collections, are sent as one client-level `bulkWrite`;
more are sent per collection: SecantusDB's client `bulkWrite` writes document by document, and
from about 20 documents per collection one `insert_many` each is faster (§18)."""


class WriteBehindCollection:
    """A collection whose inserts and upserts by `_id` are held until `flush`."""

    def __init__(
        self,
        collection: AsyncCollection[Document],
        session: AsyncClientSession,
        database: WriteBehindDatabase,
    ):
        self._collection = collection
        self._session = session
        self._database = database
        self._held = HeldQueue()
        self._primed = PrimedDocuments()
        self._upserted: dict[Any, Document | None] = {}

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def database(self) -> WriteBehindDatabase:
        """The batch's view of the database: `collection.database[other]` sees its held writes
        and what was read ahead, as `tx.database[other]` does."""
        return self._database

    def take(
        self, *, client_level: bool = False
    ) -> list[InsertOne[Document] | UpdateOne | ReplaceOne[Document]]:
        """The held writes as operations for the caller to send (`client_level`: naming this
        collection, for the client's `bulk_write`); from now on they count as sent."""
        held = self._held.take()
        for write in held:
            self._primed.fold(write)
        namespace = self._collection.full_name if client_level else None
        return [write.operation(namespace) for write in held]

    async def flush(self) -> None:
        if self._held:
            await self._collection.bulk_write(self.take(), ordered=True, session=self._session)

    async def prime(self, field: str, values: Iterable[Any]) -> list[Document]:
        """Read the documents whose `field` is one of `values` (a chunk of values per query), so
        that `find_one({field: value, ...})` for those values is answered from memory for the
        rest of the transaction (held writes included; any other write forgets them)."""
        known = self._primed.values(field)
        wanted = sorted({value for value in values if value not in known}, key=repr)
        found: list[Document] = []
        await self.flush()
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            for value in chunk:
                known[value] = []
            query = {field: {"$in": chunk}}
            async for document in self._collection.find(query, session=self._session):
                found.append(document)
                under = [v for v in values_of(document.get(field)) if v in chunk]
                if not under:  # matched in a way a plain comparison cannot tell (a sub-document)
                    self._primed.drop(field)
                    return found
                for value in under:
                    known[value].append(document)
        return found

    async def upsert_each(self, ids: Iterable[Any], update: Document) -> None:
        """Apply `update` to the document of each id (made if absent) in one `bulk_write`, then
        read them back in a query per chunk: the read-ahead of a look-up that writes (a check
        that must hold until commit, `shared.erasure_progress.marked_and_held`), answered by
        `upserted` for the rest of the transaction, until another write to the collection."""
        wanted = sorted({i for i in ids if i not in self._upserted}, key=repr)
        if not wanted:
            return
        await self.flush()
        self._primed.clear()
        writes = [UpdateOne({"_id": i}, update, upsert=True) for i in wanted]
        await self._collection.bulk_write(writes, ordered=True, session=self._session)
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            found = {i: None for i in chunk} | {
                d["_id"]: d
                async for d in self._collection.find({"_id": {"$in": chunk}}, session=self._session)
            }
            self._upserted.update(found)

    def upserted(self, id_: Any) -> tuple[bool, Document | None]:
        """(answered, document as `upsert_each` left it) for an id it wrote in this
        transaction and nothing wrote since."""
        if id_ not in self._upserted:
            return False, None
        return True, copied(self._upserted[id_])

    async def primed_any(self, clauses: list[Document]) -> list[Document] | None:
        """The documents matching any of these one-field equality clauses, each once, if
        every clause names a primed value (held writes it concerns sent first); else None."""
        if any(self._held.concern(c) for c in clauses if plain_equality(c)):
            await self.flush()
        return self._primed.answer_any(clauses)

    async def insert_one(self, document: Document, *_args: Any, **_kwargs: Any) -> InsertOneResult:
        if "_id" not in document:  # as PyMongo does: the caller sees the id
            document["_id"] = ObjectId()
        self._upserted.pop(document["_id"], None)
        self._held.append(Held(copied(document)))
        return InsertOneResult(document["_id"], acknowledged=True)

    async def insert_many(
        self, documents: list[Document], *_args: Any, **_kwargs: Any
    ) -> InsertManyResult:
        ids = [(await self.insert_one(document)).inserted_id for document in documents]
        return InsertManyResult(ids, acknowledged=True)

    async def update_one(
        self, query: Document, update: Document, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        """An upsert by `_id` is held; its result is unacknowledged, so a caller that reads it
        fails the batch. "Add if absent" (it only sets on insert) still answers reads from what
        it adds; after any other, a read it may concern sends the held writes first. Anything
        else runs now."""
        if not (upsert and id_only(query) and set(kwargs) <= {"session"}):
            return await self._now("update_one", query, update, upsert=upsert, **kwargs)
        upserted = (copied(query), copied(update))
        if list(update) == ["$setOnInsert"]:
            added = {**upserted[1]["$setOnInsert"], **upserted[0]}  # from the copies
            self._held.append(Held(added, upsert=upserted))
        else:
            self._upserted.pop(query["_id"], None)
            self._held.append(Held(dict(query), upsert=upserted, changes=True))
        return UpdateResult({}, acknowledged=False)

    async def replace_one(
        self, query: Document, replacement: Document, upsert: bool = False, **kwargs: Any
    ) -> UpdateResult:
        """An upsert by `_id` is held, as `update_one`'s are; anything else runs now."""
        if not (upsert and id_only(query) and set(kwargs) <= {"session"}):
            return await self._now("replace_one", query, replacement, upsert=upsert, **kwargs)
        self._upserted.pop(query["_id"], None)
        held = (copied(query), copied(replacement))
        self._held.append(Held(dict(query), upsert=held, changes=True, replaces=True))
        return UpdateResult({}, acknowledged=False)

    async def _now(self, name: str, *args: Any, **kwargs: Any) -> UpdateResult:
        """A write sent at once, after the held ones; what was read ahead is forgotten."""
        await self.flush()
        self._forget()
        result: UpdateResult = await getattr(self._collection, name)(*args, **kwargs)
        return result

    async def find_one(self, query: Any = None, *args: Any, **kwargs: Any) -> Document | None:
        plain = plain_equality(query)
        if self._held and not (plain and not self._held.concern(query)):
            await self.flush()
        if plain and not args and set(kwargs) <= {"session"}:
            answered, document = self._primed.answer(query)
            if answered:
                return document
        return await self._collection.find_one(query, *args, **kwargs)

    def _forget(self) -> None:
        """Forget what was read ahead: a write may have changed it."""
        self._primed.clear()
        self._upserted.clear()

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
            self._forget()  # it may write
            return await operation(*args, **kwargs)

        return flushed_first


class WriteBehindDatabase:
    """`database[name]` for the handlers of one batch; `flush` sends every held insert."""

    def __init__(self, database: AsyncDatabase[Document], session: AsyncClientSession):
        self._database = database
        self._session = session
        self._collections: dict[str, WriteBehindCollection] = {}
        self._elsewhere: dict[str, list[Document]] = {}

    def __getitem__(self, name: str) -> WriteBehindCollection:
        if name not in self._collections:
            self._collections[name] = WriteBehindCollection(
                self._database[name], self._session, self
            )
        return self._collections[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._database, name)

    def hold_insert(self, namespace: str, document: Document) -> None:
        """Insert `document` into `namespace` ("database.collection", another database of the
        same client: the key store's) in this transaction, with the held writes. Nothing in
        the batch reads it back from the store (the key store keeps what it created)."""
        self._elsewhere.setdefault(namespace, []).append(document)

    async def flush(self) -> None:
        """Send every held write: a few across several collections in one client-level
        `bulkWrite`, else one `bulk_write` per collection."""
        holding = [c for c in self._collections.values() if c.held]
        elsewhere, self._elsewhere = self._elsewhere, {}
        count = sum(c.held for c in holding) + sum(len(d) for d in elsewhere.values())
        if len(holding) + len(elsewhere) > 1 and count <= CLIENT_BULK_MAX:
            operations = [op for c in holding for op in c.take(client_level=True)]
            operations += [
                InsertOne(document, namespace=namespace)
                for namespace, documents in elsewhere.items()
                for document in documents
            ]
            await self._database.client.bulk_write(operations, ordered=True, session=self._session)
            return
        for collection in holding:
            await collection.flush()
        for namespace, documents in elsewhere.items():
            name, _, collection_name = namespace.partition(".")
            await self._database.client[name][collection_name].insert_many(
                documents, ordered=True, session=self._session
            )


def write_behind(
    tx: Transaction, *, in_batch: bool = True
) -> tuple[Transaction, WriteBehindDatabase]:
    """The same transaction seen through a write-behind database, and that database (to flush
    before commit). `in_batch`: it is a batch's, redone record by record if it fails."""
    database = WriteBehindDatabase(tx.database, tx.session)
    seen = Transaction(
        database=cast(AsyncDatabase[Document], database),
        session=tx.session,
        after_commit_callbacks=tx.after_commit_callbacks,
        in_batch=in_batch,
        staged=tx.staged,
        latched=tx.latched,
    )
    return seen, database
