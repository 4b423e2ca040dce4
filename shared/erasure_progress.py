"""What a participant's erasure has deleted outside its handler's transaction (P11).

Participants delete large scopes outside the transaction of the handler that completes the
erasure (`shared.mongo.delete_in`, `delete_matching`). If that transaction does not commit (the
process dies, or a large purge outlives the store's 60 s transaction limit), the handler runs
again and finds nothing left to delete, so it would report no counts and, worse, no data
subjects, whose keys retention then would not shred. The progress of one erasure is therefore
written as it happens, outside the transaction: the subjects before their data is deleted, the
counts after each delete; the completion reports the totals. Ids and counts only."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document

ERASURE_PROGRESS = "erasure_progress"
ERASED_REQUESTS = "erased_requests"
ERASED_PERSONS = "erased_persons"
KEPT_FOR = timedelta(days=30)
TOMBSTONE_KEPT_FOR = timedelta(days=400)
"""A request erased on its own (P8), or a person whose own record went with their last request,
is remembered by id this long, so that its announcement arriving after the erasure (another
topic, consumed at its own pace) creates no copy of it again. Ids only."""


class ErasureProgress:
    """The subjects found and documents deleted so far by one erasure, in this service."""

    def __init__(self, database: AsyncDatabase[Document], erasure_id: str, *, now: datetime):
        self._collection = database[ERASURE_PROGRESS]
        self._id = erasure_id
        self._now = now

    async def subjects_found(self, subjects: Iterable[str]) -> None:
        """Note data subjects before deleting their data (a redo would not find them)."""
        found = sorted({str(subject) for subject in subjects if subject})
        if found:
            await self._update({"$addToSet": {"data_subject_ids": {"$each": found}}})

    async def deleted(self, name: str, count: int) -> int:
        """Note `count` more documents of `name` deleted; return `count`."""
        await self._update({"$inc": {f"counts.{name}": count}})
        return count

    async def request_erased(self, request_id: str) -> None:
        """Remember that this request is erased here, before its copies are deleted."""
        await self._collection.database[ERASED_REQUESTS].update_one(
            {"_id": request_id}, {"$setOnInsert": {"erased_at": self._now}}, upsert=True
        )

    async def person_erased(self, person: str) -> None:
        """Remember that this person's own record here was erased."""
        await self._collection.database[ERASED_PERSONS].update_one(
            {"_id": person}, {"$setOnInsert": {"erased_at": self._now}}, upsert=True
        )

    async def so_far(self) -> tuple[dict[str, int], set[str]]:
        """The counts and subjects noted by every run of this erasure so far."""
        found = await self._collection.find_one({"_id": self._id}) or {}
        counts = {str(name): int(count) for name, count in found.get("counts", {}).items()}
        return counts, {str(subject) for subject in found.get("data_subject_ids", [])}

    async def _update(self, change: Document) -> None:
        await self._collection.update_one(
            {"_id": self._id}, {**change, "$set": {"updated_at": self._now}}, upsert=True
        )


async def was_erased(
    database: AsyncDatabase[Document], request_id: str, *, session: Any = None
) -> bool:
    """Whether this service erased the request already (its announcement came late)."""
    found = await database[ERASED_REQUESTS].find_one({"_id": request_id}, session=session)
    return found is not None


async def was_person_erased(
    database: AsyncDatabase[Document], person: str, *, session: Any = None
) -> bool:
    """Whether this service erased the person's own record already."""
    return await database[ERASED_PERSONS].find_one({"_id": person}, session=session) is not None


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[ERASURE_PROGRESS].create_index(
        [("updated_at", ASCENDING)], expireAfterSeconds=int(KEPT_FOR.total_seconds())
    )
    for name in (ERASED_REQUESTS, ERASED_PERSONS):
        await database[name].create_index(
            [("erased_at", ASCENDING)], expireAfterSeconds=int(TOMBSTONE_KEPT_FOR.total_seconds())
        )
