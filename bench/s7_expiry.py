"""Scenario 7: expiry that never stalls. 100,000 documents under a TTL index fall due together
while a client keeps reading the same collection by an indexed key; the store's expiry
monitor (once a minute, as MongoDB's) deletes them meanwhile. Ours: the slowest read while
they expire; baseline: the slowest read of the same loop before any was due."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from bench.infra import Stack
from bench.measure import Figure

SCENARIO = "7 expiry under TTL"
BEFORE_SECONDS = 10.0
MONITOR_PERIOD_SECONDS = 60.0  # the TTL monitor's period, in MongoDB and in SecantusDB


async def _slowest_read(
    collection: AsyncCollection[dict[str, object]],
    keys: list[str],
    *,
    seconds: float,
    count_every: float | None = None,
) -> tuple[float, int, list[tuple[float, int]]]:
    """Read random keys for `seconds`; the slowest read (ms), how many, and (when asked) the
    documents left every `count_every` seconds."""
    slowest, reads, left = 0.0, 0, []
    started = last_count = time.perf_counter()
    while (now := time.perf_counter()) - started < seconds:
        began = time.perf_counter()
        await collection.find_one({"key": random.choice(keys)})
        slowest = max(slowest, (time.perf_counter() - began) * 1000)
        reads += 1
        if count_every is not None and now - last_count >= count_every:
            left.append((round(now - started, 1), await collection.estimated_document_count()))
            last_count = now
    return slowest, reads, left


async def run(
    stack: Stack, *, documents: int, timeout: float, window: float | None = None
) -> list[Figure]:
    """`window`: how long to read once they are due (default: a monitor period and a quarter,
    so one expiry pass falls inside it)."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_url)
    name = f"bench_expiry_{uuid.uuid4().hex[:8]}"
    collection = client[name]["expiring"]
    try:
        await collection.create_index("key")
        await collection.create_index("expires_at", expireAfterSeconds=0)
        keys = [uuid.uuid4().hex for _ in range(documents)]
        due = datetime.now(UTC) + timedelta(days=1)  # not due while seeding
        for start in range(0, documents, 5_000):
            await collection.insert_many(
                [
                    {"key": k, "expires_at": due, "body": "x" * 200}
                    for k in keys[start : start + 5_000]
                ]
            )
        before_window = BEFORE_SECONDS if window is None else window
        before, before_reads, _ = await _slowest_read(collection, keys, seconds=before_window)
        await collection.update_many({}, {"$set": {"expires_at": datetime.now(UTC)}})  # all due
        window = window if window is not None else min(timeout, MONITOR_PERIOD_SECONDS * 1.25)
        during, during_reads, left = await _slowest_read(
            collection, keys, seconds=window, count_every=5.0
        )
        remaining = await collection.count_documents({})
    finally:
        await client.drop_database(name)
        await client.close()
    detail = {
        "documents": documents,
        "reads_before": before_reads,
        "reads_while_expiring": during_reads,
        "window_seconds": round(window, 1),
        "left_over_time": left,
        "left_at_end": remaining,
        "expired": remaining < documents,
    }
    return [
        Figure(
            scenario=SCENARIO,
            metric=(
                f"slowest indexed read while {documents:,} documents expire, ms "
                "(baseline: slowest read of the same loop before any was due)"
            ),
            ours=round(during, 1),
            baseline=round(before, 1),
            unit="ms",
            higher_is_better=False,
            detail=detail,
            target="no stall: the expiry's deletes do not hold readers up",
        )
    ]
