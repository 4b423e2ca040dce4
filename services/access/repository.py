"""access's MongoDB repositories: the request read model and the audit log."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.access.domain import ReadAudit, RequestView
from shared.mongo import Document, Transaction, TransactionRunner

REQUESTS = "request_views"
AUDIT = "read_audit"

_VIEW_FIELDS = [f.name for f in fields(RequestView)]


class MongoRequestReadModel:
    """The read model; writes join the consumer's transaction when given one."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        self._collection = database[REQUESTS]
        self._session = tx.session if tx else None

    @classmethod
    def in_transaction(cls, tx: Transaction) -> MongoRequestReadModel:
        return cls(tx.database, tx)

    async def upsert(self, view: RequestView) -> None:
        document = asdict(view)
        document["_id"] = document.pop("request_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, request_id: str) -> RequestView | None:
        found = await self._collection.find_one({"_id": request_id}, session=self._session)
        return None if found is None else _view_from(found)

    async def newest(self, *, limit: int) -> list[RequestView]:
        cursor = self._collection.find({}, session=self._session).sort(
            [("received_at", DESCENDING), ("_id", DESCENDING)]
        )
        return [_view_from(found) for found in await cursor.limit(limit).to_list()]


class MongoAuditLog:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._collection = database[AUDIT]

    async def record(self, audit: ReadAudit) -> None:
        await self._collection.insert_one(asdict(audit))


async def create_indexes(runner: TransactionRunner) -> None:
    await runner.database[REQUESTS].create_index([("received_at", DESCENDING), ("_id", DESCENDING)])
    await runner.database[REQUESTS].create_index("requester_id")
    await runner.database[AUDIT].create_index([("request_id", 1), ("read_at", DESCENDING)])


def _view_from(document: Document) -> RequestView:
    values: dict[str, Any] = {
        name: document.get(name) for name in _VIEW_FIELDS if name != "request_id"
    }
    return RequestView(request_id=document["_id"], **values)
