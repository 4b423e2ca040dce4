"""Read-model queries: what a principal may read as alternatives (one `$or` of plain indexed
clauses), the cursor's parts, and for the support staff's list of everything the newest
requests looked up in windows of receipt time, because the store sorts the whole collection
for a sorted query without a filter (`python -m bench.probe_shapes`: 0.8 ms against 61 ms at
50,000 requests; MongoDB would walk the `received_at` index instead and needs no windows)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from services.access.domain import RequestFilters, Visibility
from shared.mongo import Document


class InvalidCursorError(ValueError):
    """A pagination cursor this service did not hand out."""


def visibility_clauses(visibility: Visibility) -> list[Document]:
    """The requests a principal may read (P6) as alternatives, each a plain indexed query;
    together they select exactly what `ground_for` allows."""
    if visibility.everything:
        return [{}]
    clauses: list[Document] = []
    if visibility.requester_ids:
        clauses.append(
            {
                "requester_id": {"$in": list(visibility.requester_ids)},
                "organisation_id": {"$in": [None, *visibility.member_organisation_ids]},
            }
        )
    if visibility.official_organisation_ids:
        clauses.append({"organisation_id": {"$in": list(visibility.official_organisation_ids)}})
    if visibility.granted:
        clauses.append({"_id": {"$in": sorted(visibility.granted)}})
    return clauses


def visibility_filter(visibility: Visibility) -> Document:
    """The Mongo filter of exactly the requests a principal may read (P6), as one document."""
    if visibility.everything:
        return {}
    clauses = visibility_clauses(visibility)
    return {"$or": clauses} if clauses else {"_id": {"$in": []}}


def criteria_of(filters: RequestFilters) -> Document:
    """The list filters as a Mongo filter."""
    criteria: Document = {}
    if filters.status:
        criteria["status"] = filters.status
    if filters.channel:
        criteria["channel"] = filters.channel
    if filters.organisation_id:
        criteria["organisation_id"] = filters.organisation_id
    if filters.updated_since:
        criteria["updated_at"] = {"$gte": filters.updated_since}
    return criteria


def all_of(*conditions: Document) -> Document:
    """The conjunction, as one flat document when the fields do not overlap (indexable)."""
    present = [condition for condition in conditions if condition]
    merged: Document = {}
    for condition in present:
        if merged.keys() & condition.keys():
            return {"$and": present}
        merged.update(condition)
    return merged


def cursor_position(cursor: str) -> tuple[datetime, str]:
    """(received_at, request_id) of the last request of the previous page."""
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(position["r"]), str(position["i"])
    except (ValueError, KeyError, TypeError):
        raise InvalidCursorError("cursor is not one this service handed out") from None


def encode_position(received_at: datetime, request_id: str) -> str:
    position = {"r": received_at.isoformat(), "i": request_id}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def after(position: tuple[datetime, str] | None) -> list[Document]:
    """The part of the order after the cursor: strictly older, or as old with a lower id."""
    if position is None:
        return [{}]
    received_at, request_id = position
    return [
        {"received_at": {"$lt": received_at}},
        {"received_at": received_at, "_id": {"$lt": request_id}},
    ]


def newest_first(documents: Iterable[Document], *, limit: int) -> list[Document]:
    """Merge the results of several queries: distinct, newest first, at most `limit`."""
    distinct = {document["_id"]: document for document in documents}
    ordered = sorted(distinct.values(), key=lambda d: (d["received_at"], d["_id"]), reverse=True)
    return ordered[:limit]


RECEIPT_WINDOWS = tuple(timedelta(minutes=8**k) for k in range(8))
"""How far back from the newest candidate a window of receipt times reaches: 1 minute, then
8 times longer each time, up to about four years."""


def windowable(query: Document) -> bool:
    """Whether `query` is all requests, or all received before a time (a cursor): the store
    then sorts the whole collection, and a receipt-time window lets it walk an index range."""
    if not set(query) <= {"received_at"}:
        return False
    received = query.get("received_at", {})
    return isinstance(received, dict) and set(received) <= {"$lt"}


async def newest_in_windows(
    query: Document,
    *,
    limit: int,
    run: Callable[[Document], Awaitable[list[Document]]],
    now: datetime,
) -> list[Document]:
    """The newest `limit` requests matching a `windowable` query, sorted by `run`, looked up in
    growing windows of receipt time; exact, because a window that holds `limit` matches holds
    the newest `limit` (every match outside it was received earlier than all inside it)."""
    received = dict(query.get("received_at", {}))
    newest = received.get("$lt", now)
    for window in RECEIPT_WINDOWS:
        found = await run({"received_at": {**received, "$gte": newest - window}})
        if len(found) >= limit:
            return found
    return await run(query)


async def newest_of_all(
    queries: list[Document],
    *,
    limit: int,
    run: Callable[[Document], Awaitable[list[Document]]],
    side_by_side: bool,
) -> list[Document]:
    """The support staff's page: each query (a cursor part) alone, in windows of receipt time
    where it is `windowable`, merged newest first; `side_by_side` outside a transaction."""

    async def one(query: Document) -> list[Document]:
        if not windowable(query):
            return await run(query)
        return await newest_in_windows(query, limit=limit, run=run, now=datetime.now(UTC))

    if side_by_side:
        pages = await asyncio.gather(*(one(query) for query in queries))
    else:
        pages = [await one(query) for query in queries]
    return newest_first([document for page in pages for document in page], limit=limit)


def erasure_scope(
    requester_ids: list[str] | None, organisation_id: str | None, request_id: str | None
) -> Document:
    """The read-model copies an erasure of a person (all their contact ids), an organisation
    or one request covers."""
    query: Document = {}
    if requester_ids is not None:
        query["requester_id"] = {"$in": requester_ids}
    if organisation_id is not None:
        query["organisation_id"] = organisation_id
    if request_id is not None:
        query["_id"] = request_id
    return query
