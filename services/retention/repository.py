"""retention's MongoDB repositories."""

from __future__ import annotations

from dataclasses import asdict

from pymongo.asynchronous.database import AsyncDatabase

from services.retention.domain import RetentionClock
from shared.mongo import Document, Transaction, TransactionRunner

CLOCKS = "retention_clocks"


class MongoRetentionClocks:
    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self._collection = database[CLOCKS]
        self._session = tx.session if tx else None

    async def start(self, clock: RetentionClock) -> None:
        document = asdict(clock)
        document["_id"] = document.pop("request_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, request_id: str) -> RetentionClock | None:
        found = await self._collection.find_one({"_id": request_id}, session=self._session)
        if found is None:
            return None
        found["request_id"] = found.pop("_id")
        return RetentionClock(**found)


async def create_indexes(runner: TransactionRunner) -> None:
    await runner.database[CLOCKS].create_index("purge_due_at")
    await runner.database[CLOCKS].create_index("organisation_id")
