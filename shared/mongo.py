"""MongoDB: the AsyncMongoClient factory and one-transaction units of work."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import (
    BulkWriteError,
    ClientBulkWriteException,
    ConnectionFailure,
    OperationFailure,
    PyMongoError,
)

from shared.settings import ServiceSettings

Document = dict[str, Any]


def create_mongo_client(settings: ServiceSettings) -> AsyncMongoClient[Document]:
    """A client that connects lazily, on first use (never at import or construction)."""
    return AsyncMongoClient(
        settings.mongodb_url,
        tz_aware=True,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        appname=settings.service_name,
    )


IN_CHUNK = 250
"""Ids per `$in`: the storage's cost of an `$in` grows much faster than its length (a purge of
4,000 requests took 22 s in one `$in`, 1.6 s in chunks of 250)."""

DELETE_CHUNK = IN_CHUNK
"""Ids per `$in` of a delete. The Python server checked each document it deleted against the
whole list (3,000 messages: 2.1 s in chunks of 500, 0.6 s of 50), so this was 50; on the Rust
server the length does not matter (`python -m bench.probe_deletes --probe chunks`: 0.49-0.66 s
for 3,000 requests' copies at 50 to 500 ids), so deletes use the bounded list of every `$in`
(MongoDB turns an `$in` into index bounds whatever its length)."""


async def delete_in(
    collection: AsyncCollection[Document],
    field: str,
    values: Sequence[Any],
    *,
    chunk: int = DELETE_CHUNK,
) -> int:
    """Delete the documents whose `field` is one of `values`, a chunk of ids at a time, each
    chunk a write of its own, outside any transaction. An erasure of a large organisation in one
    transaction would be one huge commit: beyond MongoDB's transaction limits, and on
    SecantusDB it stalls every client while the commit trims the oplog (a 10,000-request purge
    did for minutes). Deleting is idempotent, so a handler redone after a crash deletes what is
    left and completes then (`shared.erasure_progress` keeps the counts and subjects of every
    run)."""
    deleted = 0
    for start in range(0, len(values), chunk):
        result = await collection.delete_many({field: {"$in": list(values[start : start + chunk])}})
        deleted += result.deleted_count
    return deleted


async def delete_matching(collection: AsyncCollection[Document], query: Document) -> int:
    """Delete every document matching `query` as one write outside any transaction (for the
    same reasons as `delete_in`). Where the documents name what is erased (an organisation, a
    requester), select them by that indexed field: the store deletes 6,000 request copies by
    organisation in 0.9 s, by 250-id `$in` chunks in 2.8 s."""
    return (await collection.delete_many(query)).deleted_count


async def each_at_once(pending: dict[str, Awaitable[int]]) -> dict[str, int]:
    """Await counts (of what an erasure left, of what it deleted) that do not depend on each
    other all at once, outside any transaction: each is a round trip of its own on the pool,
    and none waits behind the others (a person's erasure counts a dozen collections)."""
    values = await asyncio.gather(*pending.values())
    return dict(zip(pending, values, strict=True))


def kept_out(query: Document, keep: Sequence[str], field: str = "_id") -> Document:
    """`query` without the documents whose `field` is one of `keep` (requests under a hold)."""
    if not keep:
        return query
    if field in query:
        raise ValueError(f"the query already selects on {field}")
    return {**query, field: {"$nin": list(keep)}}


def _write_error_codes(error: BaseException) -> set[int]:
    """The codes of a bulk write's write errors: a write conflict in a `bulkWrite` comes back
    as one of them, not as the command's error (SecantusDB, in a transaction)."""
    if isinstance(error, ClientBulkWriteException | BulkWriteError):
        return {int(e.get("code", 0)) for e in (error.details or {}).get("writeErrors") or []}
    return set()


def is_transient(error: BaseException) -> bool:
    """A failure worth retrying: the server is away, or a transaction hit a transient conflict."""
    if isinstance(error, ConnectionFailure):
        return True
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        return True
    if isinstance(error, OperationFailure) and error.code in {112, 244, 251}:
        return True  # WriteConflict, TransactionAborted, NoSuchTransaction
    if _write_error_codes(error) & {112, 244, 251}:
        return True
    return isinstance(error, PyMongoError) and error.timeout


def is_conflict(error: BaseException) -> bool:
    """Two transactions wrote the same document and this one lost: running it again is safe."""
    if isinstance(error, PyMongoError) and error.has_error_label("TransientTransactionError"):
        return not isinstance(error, ConnectionFailure)
    if isinstance(error, OperationFailure) and error.code in {112, 251}:
        return True
    return bool(_write_error_codes(error) & {112, 251})


Work = TypeVar("Work")
Result = TypeVar("Result")
CONFLICT_ATTEMPTS = 5


async def in_transaction(
    unit_of_work: Callable[[], AbstractAsyncContextManager[Work]],
    work: Callable[[Work], Awaitable[Result]],
    *,
    attempts: int = CONFLICT_ATTEMPTS,
) -> Result:
    """Run `work` in a unit of work, and again in a fresh one if it lost a write conflict, the
    way MongoDB's own `with_transaction` does: an HTTP caller whose account a consumer was
    updating at the same moment gets their answer, not a 500. The losing transaction was
    aborted, so nothing of it was kept; `work` must keep its side effects inside it."""
    attempt = 1
    while True:
        try:
            async with unit_of_work() as uow:
                return await work(uow)
        except PyMongoError as error:
            if attempt >= attempts or not is_conflict(error):
                raise
        await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)  # noqa: S311 (jitter)
        attempt += 1


@dataclass(frozen=True)
class Transaction:
    """One MongoDB transaction on a service's database: state, outbox and inbox commit together."""

    database: AsyncDatabase[Document]
    session: AsyncClientSession
    after_commit_callbacks: list[Callable[[], None]] = field(default_factory=list)
    in_batch: bool = False
    """A batch's transaction: if it fails, each of its events is handled again on its own, so
    a handler counts what it rejects only outside a batch (else it would count it twice)."""
    staged: list[int] = field(default_factory=list)
    """How many events each `add_many_to_outbox` staged in it: a consumer wakes the relay after
    the commit only if there are some (most handlers publish nothing)."""
    latched: dict[str, set[Any]] = field(default_factory=dict)
    """The latches, by collection, it wrote: documents written only so that two transactions
    deciding about the same thing conflict (a batch's preparer writes those of the whole batch).
    Writing one again in this transaction adds nothing."""

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` (a metric, say) once the transaction has committed, never if not."""
        self.after_commit_callbacks.append(callback)


class TransactionRunner:
    """Opens transactions on one database."""

    def __init__(self, client: AsyncMongoClient[Document], database_name: str) -> None:
        self.client = client
        self.database = client[database_name]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Commit on normal exit, abort on exception."""
        async with self.client.start_session() as session:
            async with await session.start_transaction():
                tx = Transaction(database=self.database, session=session)
                yield tx
            for callback in tx.after_commit_callbacks:
                callback()

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
        except PyMongoError:
            return False
        return True
