"""Receipt-time windows give exactly the newest requests a full sort would, page after page."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from services.access.read_queries import newest_in_windows, windowable
from shared.mongo import Document

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


Run = Callable[[Document], Awaitable[list[Document]]]


def _store(documents: list[Document], asked: list[Document]) -> Callable[[int], Run]:
    """A stand-in for the store: filter on receipt time, newest first, at most `limit`."""

    def make(limit: int) -> Run:
        async def run(query: Document) -> list[Document]:
            asked.append(query)
            bounds = query.get("received_at", {})
            found = [
                d
                for d in documents
                if ("$lt" not in bounds or d["received_at"] < bounds["$lt"])
                and ("$gte" not in bounds or d["received_at"] >= bounds["$gte"])
            ]
            found.sort(key=lambda d: (d["received_at"], d["_id"]), reverse=True)
            return found[:limit]

        return run

    return make


def _full_sort(documents: list[Document], *, before: datetime | None, limit: int) -> list[str]:
    kept = [d for d in documents if before is None or d["received_at"] < before]
    kept.sort(key=lambda d: (d["received_at"], d["_id"]), reverse=True)
    return [d["_id"] for d in kept[:limit]]


async def test_windows_return_what_a_full_sort_returns_for_any_spread_of_receipt_times() -> None:
    rng = random.Random(7)
    for spread in (timedelta(seconds=1), timedelta(hours=3), timedelta(days=900)):
        for count in (0, 3, 49, 50, 51, 400):
            documents = [
                {"_id": f"req-{n:04d}", "received_at": NOW - spread * rng.random() * 50}
                for n in range(count)
            ]
            documents += [dict(d, _id=d["_id"] + "-twin") for d in documents[:5]]  # equal times
            for limit in (1, 10, 50):
                for before in (None, NOW - spread * 10):
                    query: Document = {} if before is None else {"received_at": {"$lt": before}}
                    asked: list[Document] = []
                    found = await newest_in_windows(
                        query, limit=limit, run=_store(documents, asked)(limit), now=NOW
                    )
                    expected = _full_sort(documents, before=before, limit=limit)
                    assert [d["_id"] for d in found] == expected
                    assert len(asked) <= 9


async def test_a_dense_recent_history_is_answered_from_the_first_window() -> None:
    documents = [
        {"_id": f"req-{n:05d}", "received_at": NOW - timedelta(seconds=n)} for n in range(5000)
    ]
    asked: list[Document] = []
    found = await newest_in_windows({}, limit=50, run=_store(documents, asked)(50), now=NOW)
    assert [d["_id"] for d in found] == [f"req-{n:05d}" for n in range(50)]
    assert asked == [{"received_at": {"$gte": NOW - timedelta(minutes=1)}}]


def test_only_unconditioned_or_cursor_queries_are_windowed() -> None:
    assert windowable({})
    assert windowable({"received_at": {"$lt": NOW}})
    assert not windowable({"received_at": NOW, "_id": {"$lt": "req-1"}})  # a cursor's tie
    assert not windowable({"requester_id": {"$in": ["c"]}})
    assert not windowable({"status": "open"})
