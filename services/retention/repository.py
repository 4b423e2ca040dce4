"""retention's MongoDB repositories for clocks and legal holds; bound to a transaction or not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from pymongo import ASCENDING

from services.retention.domain import OrganisationClock, RetentionClock
from services.retention.legal_holds import HeldItems, LegalHold
from shared import erasure_progress
from shared.mongo import Document, TransactionRunner
from shared.stores import MongoCollection, document_of

CLOCKS = "retention_clocks"
ORGANISATIONS = "organisation_clocks"
HOLDS = "legal_holds"


def _due_requests(now: datetime, held: HeldItems | None) -> dict[str, Any]:
    """A request's clock with a due time (after inactivity, an erasure asked for under a hold,
    or its organisation purged before its decision arrived; a customer's has none)."""
    query: dict[str, Any] = {"purge_id": None}
    query["purge_due_at"] = {"$lte": now}
    if held is not None:
        for field, ids in held.held_requests().items():
            query["_id" if field == "request_id" else field] = {"$nin": sorted(ids)}
    return query


def _due_organisations(now: datetime, held: HeldItems | None) -> dict[str, Any]:
    query: dict[str, Any] = {"contract_state": "terminated", "purge_id": None}
    query["purge_due_at"] = {"$lte": now}
    if held is not None:
        query["_id"] = {"$nin": sorted(held.held_organisations())}
    return query


def _clock_from(document: Document) -> RetentionClock:
    document = dict(document)
    document["request_id"] = document.pop("_id")
    names = {f.name for f in fields(RetentionClock)}
    return RetentionClock(**{k: v for k, v in document.items() if k in names})


class MongoRetentionClocks(MongoCollection):
    """Requests' retention clocks, one document a request."""

    collection_name = CLOCKS

    async def start(self, clock: RetentionClock) -> None:
        await self.save(clock)

    async def was_erased(self, request_id: str) -> bool:
        return await erasure_progress.was_erased(
            self._collection.database, request_id, session=self._session
        )

    async def organisation_erased_at(self, organisation_id: str) -> datetime | None:
        return await erasure_progress.erased_at(
            self._collection.database, organisation_id=organisation_id, session=self._session
        )

    async def save(self, clock: RetentionClock) -> None:
        document = document_of(clock)
        document["_id"] = document.pop("request_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, request_id: str) -> RetentionClock | None:
        found = await self._collection.find_one({"_id": request_id}, session=self._session)
        return None if found is None else _clock_from(found)

    async def of_requester(self, requester_id: str) -> list[RetentionClock]:
        return await self.of_requesters([requester_id])

    async def of_requesters(self, requester_ids: Sequence[str]) -> list[RetentionClock]:
        query = {"requester_id": {"$in": list(requester_ids)}}
        return [_clock_from(d) async for d in self._collection.find(query, session=self._session)]

    async def of_organisation(self, organisation_id: str) -> list[RetentionClock]:
        cursor = self._collection.find({"organisation_id": organisation_id}, session=self._session)
        return [_clock_from(d) async for d in cursor]

    async def due(
        self, *, now: datetime, limit: int, held: HeldItems | None = None
    ) -> list[RetentionClock]:
        """Request clocks due, not held and not yet being purged, oldest first."""
        cursor = (
            self._collection.find(_due_requests(now, held), session=self._session)
            .sort("purge_due_at", ASCENDING)
            .limit(limit)
        )
        return [_clock_from(d) async for d in cursor]

    async def mark_purging(self, request_id: str, *, purge_id: str) -> bool:
        """Give the request to this purge unless one has it already: True when this one has."""
        return await self._set({"_id": request_id, "purge_id": None}, {"purge_id": purge_id}) == 1

    async def requesters_retained(self, requester_ids: list[str]) -> frozenset[str]:
        """Which of these persons still have a request kept here."""
        found = await self._collection.distinct(
            "requester_id", {"requester_id": {"$in": requester_ids}}, session=self._session
        )
        return frozenset(str(s) for s in found)


def _organisation_from(document: Document) -> OrganisationClock:
    document = dict(document)
    document["organisation_id"] = document.pop("_id")
    return OrganisationClock(**document)


class MongoOrganisationClocks(MongoCollection):
    """Customer organisations' contract state and purge deadline (P7)."""

    collection_name = ORGANISATIONS

    async def get(self, organisation_id: str) -> OrganisationClock | None:
        found = await self._collection.find_one({"_id": organisation_id}, session=self._session)
        return None if found is None else _organisation_from(found)

    async def save(self, clock: OrganisationClock) -> None:
        document = document_of(clock)
        document["_id"] = document.pop("organisation_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def start_purge(self, organisation_id: str, *, purge_id: str) -> bool:
        """Give the organisation to this purge unless one has it already: True when this one has."""
        unset = {"_id": organisation_id, "purge_id": None}  # another replica's scheduler's
        return await self._set(unset, {"purge_id": purge_id}) == 1

    async def due(
        self, *, now: datetime, limit: int, held: HeldItems | None = None
    ) -> list[OrganisationClock]:
        """Terminated organisations due, not held and not yet being purged."""
        cursor = (
            self._collection.find(_due_organisations(now, held), session=self._session)
            .sort("purge_due_at", ASCENDING)
            .limit(limit)
        )
        return [_organisation_from(d) async for d in cursor]


def _hold_from(document: Document) -> LegalHold:
    document = dict(document)
    document["hold_id"] = document.pop("_id")
    return LegalHold(**document)


class MongoLegalHolds(MongoCollection):
    """Legal holds, placed and released, by hold id."""

    collection_name = HOLDS

    async def get(self, hold_id: str) -> LegalHold | None:
        found = await self._collection.find_one({"_id": hold_id}, session=self._session)
        return None if found is None else _hold_from(found)

    async def save(self, hold: LegalHold) -> None:
        document = document_of(hold)
        document["_id"] = document.pop("hold_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def unreleased(self) -> list[LegalHold]:
        cursor = self._collection.find({"released_at": None}, session=self._session)
        return [_hold_from(d) async for d in cursor]

    async def all(self) -> list[LegalHold]:
        cursor = self._collection.find({}, session=self._session).sort("placed_at", ASCENDING)
        return [_hold_from(d) async for d in cursor]


async def create_indexes(runner: TransactionRunner) -> None:
    database = runner.database
    await erasure_progress.create_indexes(database)
    await database[CLOCKS].create_index("purge_due_at")
    await database[CLOCKS].create_index("organisation_id")
    await database[CLOCKS].create_index("requester_id")
    await database[ORGANISATIONS].create_index("purge_due_at")
    await database[HOLDS].create_index("released_at")
