"""surveys' MongoDB repositories."""

from __future__ import annotations

from dataclasses import asdict

from pymongo.asynchronous.database import AsyncDatabase

from services.surveys.domain import SurveyCandidate
from shared.mongo import Document, Transaction, TransactionRunner

CANDIDATES = "survey_candidates"


class MongoSurveyCandidates:
    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self._collection = database[CANDIDATES]
        self._session = tx.session if tx else None

    async def watch(self, candidate: SurveyCandidate) -> None:
        document = asdict(candidate)
        document["_id"] = document.pop("request_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, request_id: str) -> SurveyCandidate | None:
        found = await self._collection.find_one({"_id": request_id}, session=self._session)
        if found is None:
            return None
        found["request_id"] = found.pop("_id")
        return SurveyCandidate(**found)


async def create_indexes(runner: TransactionRunner) -> None:
    await runner.database[CANDIDATES].create_index("requester_id")
