"""retention's MongoDB stores for purges, certificates, its own erasure jobs and exports."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from services.retention.erasure import ParticipantCompletion, Purge, PurgeState
from shared.events.privacy import ErasureGround
from shared.mongo import Document, TransactionRunner
from shared.stores import MongoCollection, document_of

PURGES = "purges"
CERTIFICATES = "deletion_certificates"
EXPORTS = "exports"
EXPORT_SLICES = "export_slices"
RECTIFICATIONS = "rectifications"


def purge_from(document: Document) -> Purge:
    document = dict(document)
    document["erasure_id"] = document.pop("_id")
    document["keep_request_ids"] = tuple(document.get("keep_request_ids", ()))
    document["keep_data_subject_ids"] = tuple(document.get("keep_data_subject_ids", ()))
    document["data_subject_ids"] = tuple(document.get("data_subject_ids", ()))
    document["participants"] = {
        name: ParticipantCompletion(
            completed_at=c["completed_at"],
            counts=dict(c["counts"]),
            data_subject_ids=tuple(c["data_subject_ids"]),
            remaining=c.get("remaining"),
            kept=tuple(c.get("kept", ())),
            kept_data_subject_ids=tuple(c.get("kept_data_subject_ids", ())),
        )
        for name, c in document.get("participants", {}).items()
    }
    return Purge(**document)


class MongoPurges(MongoCollection):
    """Purges and their persisted progress."""

    collection_name = PURGES

    async def add(self, purge: Purge) -> None:
        document = document_of(purge)
        document["_id"] = document.pop("erasure_id")
        await self._collection.insert_one(document, session=self._session)

    async def save(self, purge: Purge) -> None:
        document = document_of(purge)
        document["_id"] = document.pop("erasure_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, session=self._session
        )

    async def get(self, erasure_id: str) -> Purge | None:
        found = await self._collection.find_one({"_id": erasure_id}, session=self._session)
        return None if found is None else purge_from(found)

    async def in_state(
        self, state: PurgeState | tuple[PurgeState, ...], *, limit: int
    ) -> list[Purge]:
        """The oldest purges in `state` (or in any of several)."""
        query = {"state": state} if isinstance(state, str) else {"state": {"$in": list(state)}}
        cursor = (
            self._collection.find(query, session=self._session)
            .sort("requested_at", ASCENDING)
            .limit(limit)
        )
        return [purge_from(d) async for d in cursor]


class MongoCertificates(MongoCollection):
    """Deletion certificates, by erasure id; they hold no personal data."""

    collection_name = CERTIFICATES

    async def record(self, certificate: dict[str, Any]) -> None:
        document = {**certificate, "_id": certificate["erasure_id"]}
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, erasure_id: str) -> dict[str, Any] | None:
        found = await self._collection.find_one({"_id": erasure_id}, session=self._session)
        if found is None:
            return None
        found.pop("_id")
        return found

    async def latest(self, *, limit: int) -> list[dict[str, Any]]:
        cursor = self._collection.find({}, {"_id": 0}, session=self._session)
        return await cursor.sort("certified_at", -1).limit(limit).to_list()


class MongoExports(MongoCollection):
    """Export requests and the sealed contributions gathered for them."""

    collection_name = EXPORTS

    async def add(self, export: dict[str, Any]) -> None:
        await self._collection.insert_one(
            {**export, "_id": export["export_id"], "contributions": {}}, session=self._session
        )

    async def get(self, export_id: str) -> Document | None:
        return await self._collection.find_one({"_id": export_id}, session=self._session)

    async def contribute(self, export_id: str, *, participant: str, records: Document) -> None:
        """Keep a participant's first contribution while the export is not yet downloaded."""
        await self._collection.update_one(
            {
                "_id": export_id,
                "downloaded_at": None,
                f"contributions.{participant}": {"$exists": False},
                "data_subject_id": records["data_subject_id"],
            },
            {"$set": {f"contributions.{participant}": records}},
            session=self._session,
        )

    async def keep_slice(
        self, export_id: str, *, participant: str, part: int, records: Document
    ) -> int:
        """Keep one slice of a large contribution (again: the same); how many are kept."""
        slices = self._collection.database[EXPORT_SLICES]
        key = {"export_id": export_id, "participant": participant}
        await slices.replace_one(
            {"_id": f"{export_id}/{participant}/{part}"},
            {**key, "part": part, "records": records},
            upsert=True,
            session=self._session,
        )
        return await slices.count_documents(key, session=self._session)

    async def slices(self, export_id: str, participant: str) -> list[Document]:
        """The sealed slices of a participant's large contribution, in order."""
        found = self._collection.database[EXPORT_SLICES].find(
            {"export_id": export_id, "participant": participant}, session=self._session
        )
        return sorted(await found.to_list(), key=lambda d: int(d["part"]))

    async def issue_link(self, export_id: str, *, link_hash: str, expires_at: datetime) -> None:
        await self._collection.update_one(
            {"_id": export_id},
            {"$set": {"link_hash": link_hash, "link_expires_at": expires_at}},
            session=self._session,
        )

    async def by_link(self, link_hash: str) -> Document | None:
        return await self._collection.find_one({"link_hash": link_hash}, session=self._session)

    async def downloaded(self, export_id: str, *, at: datetime) -> bool:
        """Mark downloaded and drop the contributions (the slices of large ones stay until
        `drop_slices`); False if it was downloaded already."""
        result = await self._collection.update_one(
            {"_id": export_id, "downloaded_at": None},
            {"$set": {"downloaded_at": at, "contributions": {}, "link_hash": None}},
            session=self._session,
        )
        return result.modified_count == 1

    async def drop_slices(self, export_id: str) -> None:
        """The slices of a downloaded export's large parts (once they are assembled)."""
        await self._collection.database[EXPORT_SLICES].delete_many(
            {"export_id": export_id}, session=self._session
        )


async def create_indexes(runner: TransactionRunner) -> None:
    database = runner.database
    await database[PURGES].create_index([("state", ASCENDING), ("requested_at", ASCENDING)])
    await database[EXPORTS].create_index("link_hash")
    await database[EXPORT_SLICES].create_index(
        [("export_id", ASCENDING), ("participant", ASCENDING)]
    )


HELD_ERASURES = "held_erasures"


class MongoHeldErasures(MongoCollection):
    """The persons whose erasure a hold (or an organisation decision awaited) holds back, by
    the id they asked under."""

    collection_name = HELD_ERASURES

    async def hold_back(self, person_id: str, *, ground: ErasureGround, at: datetime) -> None:
        await self._collection.update_one(  # asked when first held back, however often
            {"_id": person_id},
            {"$set": {"ground": ground}, "$setOnInsert": {"asked_at": at}},
            upsert=True,
            session=self._session,
        )

    async def waiting(
        self, limit: int, *, held: Collection[str] = ()
    ) -> list[tuple[str, ErasureGround]]:
        """Held-back erasures, but those asked under an id a hold still names."""
        query = {"_id": {"$nin": sorted(held)}} if held else {}
        cursor = self._collection.find(query, session=self._session).limit(limit)
        return [(str(found["_id"]), found["ground"]) async for found in cursor]

    async def forget(self, person_id: str) -> None:
        await self._collection.delete_one({"_id": person_id}, session=self._session)
