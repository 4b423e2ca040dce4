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

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from shared.mongo import Document

ERASURE_PROGRESS = "erasure_progress"
KEPT_FOR = timedelta(days=30)


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

    async def so_far(self) -> tuple[dict[str, int], set[str]]:
        """The counts and subjects noted by every run of this erasure so far."""
        found = await self._collection.find_one({"_id": self._id}) or {}
        counts = {str(name): int(count) for name, count in found.get("counts", {}).items()}
        return counts, {str(subject) for subject in found.get("data_subject_ids", [])}

    async def _update(self, change: Document) -> None:
        await self._collection.update_one(
            {"_id": self._id}, {**change, "$set": {"updated_at": self._now}}, upsert=True
        )


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[ERASURE_PROGRESS].create_index(
        [("updated_at", ASCENDING)], expireAfterSeconds=int(KEPT_FOR.total_seconds())
    )
