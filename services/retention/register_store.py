"""The processor register in MongoDB (P10)."""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from services.retention.processors import SEED_PROCESSORS, Processor
from shared.mongo import Document
from shared.stores import MongoCollection, document_of

PROCESSORS = "processors"


class MongoProcessors(MongoCollection):
    """Processors by id."""

    collection_name = PROCESSORS

    async def all(self) -> list[Processor]:
        cursor = self._collection.find({}).sort("_id", ASCENDING)
        return [_processor_from(d) async for d in cursor]

    async def get(self, processor_id: str) -> Processor | None:
        found = await self._collection.find_one({"_id": processor_id})
        return None if found is None else _processor_from(found)

    async def save(self, processor: Processor) -> None:
        document = document_of(processor)
        document["_id"] = document.pop("processor_id")
        await self._collection.replace_one({"_id": document["_id"]}, document, upsert=True)

    async def seed(self) -> None:
        """Record the policy's processors once; later edits are never overwritten."""
        for processor in SEED_PROCESSORS:
            document = document_of(processor)
            document["_id"] = document.pop("processor_id")
            try:
                await self._collection.insert_one(document)
            except DuplicateKeyError:
                continue


def _processor_from(document: Document) -> Processor:
    document = dict(document)
    document["processor_id"] = document.pop("_id")
    return Processor(**document)
