"""Read-only overview of retention for operators: what is due, overdue, held and purging."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.retention.legal_holds import HeldItems
from services.retention.purge_store import HELD_ERASURES, PURGES, purge_from
from services.retention.repository import CLOCKS, ORGANISATIONS
from shared.mongo import Document

WAITING_REQUESTS: dict[str, Any] = {"purge_id": None}  # with a due time: not a customer's
WAITING_ORGANISATIONS: dict[str, Any] = {"contract_state": "terminated", "purge_id": None}


def _is_held(kind: str, document: Document, held: HeldItems) -> bool:
    if kind == "organisation":
        return document["_id"] in held.held_organisations()
    return held.covers_request(
        request_id=document["_id"],
        requester_id=document["requester_id"],
        organisation_id=document.get("organisation_id"),
    )


class RetentionOverview:
    """Counts and the next items falling due; ids and times only, never personal data."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._requests = database[CLOCKS]
        self._organisations = database[ORGANISATIONS]
        self._purges = database[PURGES]
        self._held_erasures = database[HELD_ERASURES]

    async def counts(self, *, now: datetime, held: HeldItems) -> dict[str, int]:
        """Due within 30 days; past due (held back or not); purges running and past deadline."""
        soon = {"purge_due_at": {"$gt": now, "$lte": now + timedelta(days=30)}}
        past = {"purge_due_at": {"$lte": now}}
        past_requests = [d async for d in self._requests.find({**WAITING_REQUESTS, **past})]
        past_organisations = [
            d async for d in self._organisations.find({**WAITING_ORGANISATIONS, **past})
        ]
        held_back = sum(_is_held("request", d, held) for d in past_requests) + sum(
            _is_held("organisation", d, held) for d in past_organisations
        )
        running = {"state": {"$ne": "certified"}}
        return {
            "due_next_30_days": await self._requests.count_documents({**WAITING_REQUESTS, **soon})
            + await self._organisations.count_documents({**WAITING_ORGANISATIONS, **soon}),
            "overdue": len(past_requests) + len(past_organisations) - held_back,
            "held_back": held_back,
            "erasures_held_back": await self._held_erasures.count_documents({}),
            "purges_running": await self._purges.count_documents(running),
            "purges_past_deadline": await self._purges.count_documents(
                {**running, "deadline": {"$lt": now}}
            ),
        }

    async def late_erasures(
        self, *, now: datetime, late_after: timedelta, limit: int
    ) -> list[dict[str, Any]]:
        """Erasures waiting longer than `late_after` for participants that have not answered,
        or answered with records still in scope (what they counted left): no certificate yet."""
        cursor = self._purges.find(
            {"state": "erasure_requested", "requested_at": {"$lte": now - late_after}}
        ).sort("requested_at", ASCENDING)
        late = []
        async for document in cursor.limit(limit):
            purge = purge_from(document)
            if purge.missing_participants:
                late.append(
                    {
                        "erasure_id": purge.erasure_id,
                        "scope": {"kind": purge.scope_kind, "id": purge.scope_id},
                        "requested_at": purge.requested_at,
                        "missing": list(purge.missing_participants),
                        "left": purge.unfinished,
                        "times_asked": purge.times_asked,
                    }
                )
        return late

    async def next_due(self, *, held: HeldItems, limit: int) -> list[dict[str, Any]]:
        """The items whose purge falls due first (not yet purging), earliest first."""
        items: list[dict[str, Any]] = []
        for kind, collection, query in (
            ("request", self._requests, WAITING_REQUESTS),
            ("organisation", self._organisations, WAITING_ORGANISATIONS),
        ):
            cursor = (
                collection.find({**query, "purge_due_at": {"$ne": None}})
                .sort("purge_due_at", ASCENDING)
                .limit(limit)
            )
            async for document in cursor:
                items.append(
                    {
                        "kind": kind,
                        "id": document["_id"],
                        "purge_due_at": document["purge_due_at"],
                        "held": _is_held(kind, document, held),
                    }
                )
        items.sort(key=lambda item: item["purge_due_at"])
        return items[:limit]
