"""Probe the query shapes the code was bent into for the Python server's planner, on a local
store of the default server, without the services (bench/before_after.md §15).

    python -m bench.probe_shapes [--documents 50000] [--runs 15]

Seeds `--documents` request views (access's read model, its indexes; 5 requests a requester,
a fifth of them of 100 customer organisations), then times each shape against the one
document MongoDB would be given, median milliseconds over `--runs`:
- the staff list, newest 50: receipt-time windows (read_queries.newest_in_windows) against
  one sorted query;
- a principal with three visibility clauses (own requests, an organisation as official
  contact, a grant): one query per clause merged in code against one `$or`;
- a second page: one query per cursor part against one `$or`;
- a conjunction: a flat document against `$and`;
- `$in` of 50, 250 and 1,000 ids, and `count_documents` against counting a `find`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from deploy.local.ports import free_port
from deploy.local.store import LocalMongo
from services.access.read_queries import all_of, newest_first, newest_in_windows
from shared.mongo import Document

NEWEST = [("received_at", DESCENDING), ("_id", DESCENDING)]
START = datetime(2026, 1, 1, tzinfo=UTC)


async def _seed(views: AsyncCollection[Document], documents: int) -> None:
    await views.create_index(NEWEST)
    for field in ("requester_id", "requester_email_normalised", "organisation_id"):
        await views.create_index(field)
    batch = []
    for n in range(documents):
        batch.append(
            {
                "_id": f"r{n:07d}",
                "requester_id": f"p{n // 5:06d}",
                "organisation_id": f"o{(n // 5) % 100:03d}" if n % 5 == 0 else None,
                "status": ("open", "pending", "resolved")[n % 3],
                "received_at": START + timedelta(seconds=n),
                "subject": "subject",
            }
        )
        if len(batch) == 5000:
            await views.insert_many(batch)
            batch = []
    if batch:
        await views.insert_many(batch)


async def _median_ms(run: Callable[[], Awaitable[object]], runs: int) -> float:
    await run()  # warm
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        seconds.append(time.perf_counter() - started)
    return round(statistics.median(seconds) * 1000, 2)


async def probe(url: str, *, documents: int, runs: int) -> list[tuple[str, str, float, float]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(url, tz_aware=True)
    views = client["probe_shapes"]["request_views"]
    await _seed(views, documents)
    now = START + timedelta(seconds=documents)

    async def newest(query: Document) -> list[Document]:
        return await views.find(query).sort(NEWEST).limit(50).to_list()

    async def merged(queries: list[Document]) -> list[Document]:
        pages = await asyncio.gather(*(newest(query) for query in queries))
        return newest_first([d for page in pages for d in page], limit=50)

    person = f"p{(documents // 5) - 7:06d}"  # a requester of recent requests
    clauses: list[Document] = [
        {"requester_id": {"$in": [person]}, "organisation_id": {"$in": [None, "o007"]}},
        {"organisation_id": {"$in": ["o042"]}},
        {"_id": {"$in": ["r0000123"]}},
    ]
    cursor_at, cursor_id = START + timedelta(seconds=documents // 2), "r9999999"
    parts: list[Document] = [
        {"organisation_id": "o042", "received_at": {"$lt": cursor_at}},
        {"organisation_id": "o042", "received_at": cursor_at, "_id": {"$lt": cursor_id}},
    ]
    after_cursor: list[Document] = [
        {"received_at": {"$lt": cursor_at}},
        {"received_at": cursor_at, "_id": {"$lt": cursor_id}},
    ]
    ids = [f"r{n:07d}" for n in range(0, documents, max(1, documents // 1000))][:1000]

    async def in_chunks(chunk: int) -> list[Document]:
        """One chunk after another, as the code runs them."""
        found: list[Document] = []
        for k in range(0, len(ids), chunk):
            query = {"_id": {"$in": ids[k : k + chunk]}}
            found += await views.find(query, {"_id": 1}).to_list()
        return found

    paged = [all_of(clause, part) for clause in clauses for part in after_cursor]
    shapes: list[tuple[str, str, Callable[[], Awaitable[object]], Callable[[], Awaitable[object]]]]
    shapes = [
        (
            "staff list, newest 50",
            "receipt-time windows | one sorted query",
            lambda: newest_in_windows({}, limit=50, run=newest, now=now),
            lambda: newest({}),
        ),
        (
            "three visibility clauses, newest 50",
            "one query per clause, merged | one $or",
            lambda: merged(clauses),
            lambda: newest({"$or": clauses}),
        ),
        (
            "second page of an organisation",
            "one query per cursor part, merged | one $or",
            lambda: merged(parts),
            lambda: newest({"$or": parts}),
        ),
        (
            "three visibility clauses, second page",
            "one query per clause and cursor part, merged | $and of two $or",
            lambda: merged(paged),
            lambda: newest({"$and": [{"$or": clauses}, {"$or": after_cursor}]}),
        ),
        (
            "three visibility clauses, second page",
            "one query per clause and cursor part, merged | one $or of each clause and part",
            lambda: merged(paged),
            lambda: newest({"$or": paged}),
        ),
        (
            "organisation's open requests",
            "flat document | $and",
            lambda: newest({"organisation_id": "o042", "status": "open"}),
            lambda: newest({"$and": [{"organisation_id": "o042"}, {"status": "open"}]}),
        ),
        (
            "1,000 ids",
            "$in chunks of 250 | one $in of 1,000",
            lambda: in_chunks(250),
            lambda: views.find({"_id": {"$in": ids}}, {"_id": 1}).to_list(),
        ),
        (
            "1,000 ids",
            "$in chunks of 50 | chunks of 250",
            lambda: in_chunks(50),
            lambda: in_chunks(250),
        ),
        (
            "an organisation's requests, counted",
            "count_documents | len(find(_id only))",
            lambda: views.count_documents({"organisation_id": "o042"}),
            lambda: views.find({"organisation_id": "o042"}, {"_id": 1}).to_list(),
        ),
    ]
    results = []
    for name, versus, ours, other in shapes:
        results.append((name, versus, await _median_ms(ours, runs), await _median_ms(other, runs)))
    same = await newest_in_windows({}, limit=50, run=newest, now=now) == await newest({})
    same &= await merged(clauses) == await newest({"$or": clauses})
    same &= await merged(paged) == await newest({"$and": [{"$or": clauses}, {"$or": after_cursor}]})
    same &= await merged(paged) == await newest({"$or": paged})
    print(f"same results either way: {same}")
    await client.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.probe_shapes", description=__doc__)
    parser.add_argument("--documents", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    mongo = LocalMongo(Path(tempfile.mkdtemp(prefix="probe-shapes-")) / "data", port=free_port())
    mongo.start()
    try:
        results = asyncio.run(probe(mongo.url, documents=options.documents, runs=options.runs))
    finally:
        mongo.stop()
    print("| query | first shape | ms | second shape | ms |")
    print("| --- | --- | ---: | --- | ---: |")
    for name, versus, first, second in results:
        one, other = versus.split(" | ")
        print(f"| {name} | {one} | {first} | {other} | {second} |")


if __name__ == "__main__":
    main()
