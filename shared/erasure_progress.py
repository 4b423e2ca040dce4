"""What a participant's erasure has deleted outside its handler's transaction (P11).

Participants delete large scopes outside the transaction of the handler that completes the
erasure (`shared.mongo.delete_in`, `delete_matching`). If that transaction does not commit (the
process dies, or a large purge outlives the store's 60 s transaction limit), the handler runs
again and finds nothing left to delete, so it would report no counts and, worse, no data
subjects, whose keys retention then would not shred. The progress of one erasure is therefore
written as it happens, outside the transaction: the subjects before their data is deleted, the
counts after each delete; the completion reports the totals. Ids and counts only.

Each note is durable before it returns, and each write reads the progress back (every run's, so
far) in the same round trip: the completion's totals need no read of their own. Notes made
while another is being written (a participant's deletes run side by side) go together in the
next write, one round trip for all of them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document, Transaction
from shared.write_behind import WriteBehindCollection

ERASURE_PROGRESS = "erasure_progress"
ERASED_REQUESTS = "erased_requests"
ERASED_PERSONS = "erased_persons"
ERASED_ORGANISATIONS = "erased_organisations"
ERASED_ADDRESSES = "erased_addresses"
KEPT_FOR = timedelta(days=30)
TOMBSTONE_KEPT_FOR = timedelta(days=400)
"""A request erased on its own (P8), or a person whose own record went with their last request,
is remembered by id this long, so that its announcement arriving after the erasure (another
topic, consumed at its own pace) creates no copy of it again. Ids only.

The check is a write, so that it holds until the handler's transaction commits: `was_erased`
stamps the id's document (`seen_at`) in the handler's transaction, and the erasure marks it
(`erased_at`) before deleting. If the mark commits first, the handler's write conflicts, its
transaction is retried and sees the mark; if the handler's write comes first, the mark waits for
its commit, and the deletes that follow find the copy it made. A plain read would let a copy
made concurrently with the erasure outlive it (and its certificate's count of what is left).

An organisation's purge (P7) is remembered the same way, with its time, and so is a contact's
erasure where the CRM's statements about them are kept: a statement dated before the erasure but
delivered after it (`crm.contacts` is consumed at its own pace) is older news, and re-creates no
membership, account or phone match.

intake also remembers the addresses (email, phone number) of each contact it deleted, as keyed
hashes under a key of the key store (never the address), with the time: a call or mail given
before the erasure but read after it (`intake.phone` and `intake.email` are consumed at their
own pace) registers nobody again; one given after it is a new contact."""


class ErasureProgress:
    """The subjects found and documents deleted so far by one erasure, in this service."""

    def __init__(self, database: AsyncDatabase[Document], erasure_id: str, *, now: datetime):
        self._collection = database[ERASURE_PROGRESS]
        self._id = erasure_id
        self._now = now
        self._none_deleted: set[str] = set()
        self._noted: Document | None = None  # the progress as the last write read it back
        self._counts: Counter[str] = Counter()  # noted, not yet written
        self._subjects: set[str] = set()
        self._requests: set[str] = set()
        self._batch: asyncio.Future[None] | None = None  # the write they will go in
        self._writing = asyncio.Lock()

    async def subjects_found(self, subjects: Iterable[str]) -> None:
        """Note data subjects before deleting their data (a redo would not find them)."""
        found = {str(subject) for subject in subjects if subject}
        if found:
            await self._note(subjects=found)

    async def deleted(self, name: str, count: int) -> int:
        """Note `count` more documents of `name` deleted; return `count`. Nothing deleted is
        no progress: it is not written (a redo finds nothing either), only reported as 0."""
        if count:
            await self._note(counts={name: count})
        else:
            self._none_deleted.add(name)
        return count

    async def requests_found(self, request_ids: Iterable[str]) -> None:
        """Note the requests a person's erasure deletes here, before deleting them (a redo
        would not find them): the services that read them late are told (`requests_noted`)."""
        found = {str(request_id) for request_id in request_ids if request_id}
        if found:
            await self._note(requests=found)

    async def requests_noted(self) -> set[str]:
        """The requests noted by `requests_found`, over every run of this erasure so far."""
        found = self._noted
        if found is None:
            found = await self._collection.find_one({"_id": self._id}) or {}
        return {str(request_id) for request_id in found.get("request_ids", [])}

    async def request_erased(self, request_id: str) -> None:
        """Remember that this request is erased here, before its copies are deleted."""
        await self.requests_erased([request_id])

    async def requests_erased(self, request_ids: Iterable[str]) -> None:
        """Remember that these requests are erased here, before their copies are deleted."""
        await mark_all(
            self._collection.database[ERASED_REQUESTS], request_ids, field="erased_at", at=self._now
        )

    async def persons_erased(self, persons: Iterable[str]) -> None:
        """Remember that these persons' own records here were erased."""
        await mark_all(
            self._collection.database[ERASED_PERSONS], persons, field="erased_at", at=self._now
        )

    async def addresses_erased(self, marks: Iterable[str]) -> None:
        """Remember these addresses' keyed hashes as erased, before their contacts go."""
        await mark_all(
            self._collection.database[ERASED_ADDRESSES], marks, field="erased_at", at=self._now
        )

    async def organisation_erased(self, organisation_id: str) -> None:
        """Remember that this organisation's records here were purged, before deleting them."""
        await mark(
            self._collection.database[ERASED_ORGANISATIONS],
            organisation_id,
            field="erased_at",
            at=self._now,
        )

    async def so_far(self) -> tuple[dict[str, int], set[str]]:
        """The counts and subjects noted by every run of this erasure so far: as this run's
        last write read them back, or, before it wrote any, from the store."""
        found = self._noted
        if found is None:
            found = await self._collection.find_one({"_id": self._id}) or {}
        counts = dict.fromkeys(sorted(self._none_deleted), 0)
        counts.update({str(name): int(count) for name, count in found.get("counts", {}).items()})
        return counts, {str(subject) for subject in found.get("data_subject_ids", [])}

    async def _note(
        self,
        *,
        counts: dict[str, int] | None = None,
        subjects: set[str] | None = None,
        requests: set[str] | None = None,
    ) -> None:
        """Write this note, with any made while a write was in flight; return once written."""
        self._counts.update(counts or {})
        self._subjects |= subjects or set()
        self._requests |= requests or set()
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
        batch = self._batch
        async with self._writing:
            if not batch.done():  # nobody wrote this batch yet: write all that is noted
                self._batch = None
                try:
                    self._noted = await self._write(self._take())
                except BaseException as error:
                    batch.set_exception(error)
                else:
                    batch.set_result(None)
        await batch

    def _take(self) -> Document:
        change: Document = {"$set": {"updated_at": self._now}}
        if self._counts:
            change["$inc"] = {f"counts.{name}": n for name, n in sorted(self._counts.items())}
        added = {"data_subject_ids": self._subjects, "request_ids": self._requests}
        if any(added.values()):
            change["$addToSet"] = {
                field: {"$each": sorted(ids)} for field, ids in added.items() if ids
            }
        self._counts, self._subjects, self._requests = Counter(), set(), set()
        return change

    async def _write(self, change: Document) -> Document | None:
        """The change made, and the progress read back (None only if the store returned none:
        then `so_far` reads it)."""
        return await self._collection.find_one_and_update(
            {"_id": self._id}, change, upsert=True, return_document=ReturnDocument.AFTER
        )


async def was_erased(
    database: AsyncDatabase[Document], request_id: str, *, session: Any = None
) -> bool:
    """Whether this service erased the request already (its announcement came late); holds
    until the caller's transaction commits (see `TOMBSTONE_KEPT_FOR`)."""
    return await marked_and_held(
        database[ERASED_REQUESTS], request_id, field="erased_at", session=session
    )


async def was_person_erased(
    database: AsyncDatabase[Document], person: str, *, session: Any = None
) -> bool:
    """Whether this service erased the person's own record already; holds like `was_erased`."""
    return await marked_and_held(
        database[ERASED_PERSONS], person, field="erased_at", session=session
    )


async def erased_at(
    database: AsyncDatabase[Document],
    *,
    organisation_id: str,
    contact_id: str | None = None,
    session: Any = None,
) -> datetime | None:
    """When this service last erased the organisation's records or the contact's, if it did;
    holds like `was_erased`, so a CRM statement about the contact in the organisation either
    sees the erasure or is seen by its deletes."""
    marks = [(ERASED_ORGANISATIONS, organisation_id)]
    if contact_id is not None:
        marks.append((ERASED_PERSONS, contact_id))
    times = []
    for name, key in marks:
        found = await held(database[name], key, session=session)
        erased = None if found is None else found.get("erased_at")
        if isinstance(erased, datetime):
            times.append(erased)
    return max(times, default=None)


async def mark(
    keys: AsyncCollection[Document], key: str, *, field: str, at: datetime, session: Any = None
) -> None:
    """Mark `key` (its `field`, the latest time kept: an organisation purged, signed again and
    purged again is remembered from its last purge): a check holding it meanwhile waits or
    conflicts."""
    await keys.update_one({"_id": key}, _marked(field, at), upsert=True, session=session)


async def mark_all(
    keys: AsyncCollection[Document], marked: Iterable[str], *, field: str, at: datetime
) -> None:
    """`mark` each of `marked`, in one round trip outside any transaction."""
    change = _marked(field, at)
    writes = [UpdateOne({"_id": key}, change, upsert=True) for key in sorted(set(marked))]
    if writes:
        await keys.bulk_write(writes, ordered=False)


def _marked(field: str, at: datetime) -> Document:
    return {"$max": {field: at, "seen_at": at}}


async def hold_all(tx: Transaction, name: str, keys: Iterable[str]) -> None:
    """Read ahead, for a batch's transaction: `marked_and_held` of each of `keys` in `name`,
    stamped in one write and read back in one query, instead of a round trip per event. In a
    plain transaction, nothing (each check stamps its own key)."""
    collection: object = tx.database[name]
    if isinstance(collection, WriteBehindCollection):
        await collection.upsert_each(keys, _seen())


async def marked_and_held(
    keys: AsyncCollection[Document] | WriteBehindCollection, key: str, *, field: str, session: Any
) -> bool:
    """Whether `key` is marked; the answer holds until the caller's transaction commits (the
    key's document is stamped in it: see `TOMBSTONE_KEPT_FOR`), here or by `hold_all`."""
    found = await held(keys, key, session=session)
    return found is not None and field in found


async def held(
    keys: AsyncCollection[Document] | WriteBehindCollection, key: str, *, session: Any
) -> Document | None:
    """`key`'s document, stamped (`seen_at`) in the caller's transaction so that a mark made
    meanwhile conflicts with it (or waits for it); read ahead by `hold_all` in a batch."""
    if isinstance(keys, WriteBehindCollection):
        was_held, document = keys.upserted(key)
        if was_held:
            return document
    return await keys.find_one_and_update(
        {"_id": key},
        _seen(),
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )


def _seen() -> Document:
    return {"$max": {"seen_at": datetime.now(UTC)}}  # wall clock: only the expiry reads it


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[ERASURE_PROGRESS].create_index(
        [("updated_at", ASCENDING)], expireAfterSeconds=int(KEPT_FOR.total_seconds())
    )
    for name in (ERASED_REQUESTS, ERASED_PERSONS, ERASED_ORGANISATIONS, ERASED_ADDRESSES):
        for stamp in ("erased_at", "seen_at"):  # erased_at <= seen_at: the mark lives 400 days
            await database[name].create_index(
                [(stamp, ASCENDING)], expireAfterSeconds=int(TOMBSTONE_KEPT_FOR.total_seconds())
            )
