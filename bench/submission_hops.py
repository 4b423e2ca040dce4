"""Where a web submission's way into access goes (scenario 3), read back from what the services
stored, so the breakdown costs the measured run nothing.

For each probed submission that became readable, from intake's `received_at` (its clock when it
accepted the `POST`):
- `published by intake`: its `support.request.received.v1` published (intake's outbox record's
  `sent_at`, set once Kafka has acknowledged it);
- `taken up by access`: access started the transaction that stores it in the read model (its
  processed-event record: written first in a batch's transaction, last in a single event's), after
  it was published. Negative when access took it up before intake marked it sent;
- `readable to the probe`: the probe's first answer of 200 after that (the commit, and the probe's
  50 ms between polls);
- `in all`: accepted to readable.
Each is summarised as [p50, p90, p99] in milliseconds. Clocks: one machine, one clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient

from bench.measure import percentile

RECEIVED = "support.request.received.v1"
LEVELS = (0.5, 0.9, 0.99)

Document = dict[str, Any]


async def submission_hops(
    mongodb_url: str, *, prefix: str, readable: dict[str, datetime]
) -> tuple[Document, int]:
    """[p50, p90, p99] (ms) of each step of these submissions (request id → when the probe first
    read it), from the services' own records; and how many of them every record was found for."""
    ids = list(readable)
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        intake = client[prefix + "intake"]
        received = {
            r["_id"]: r["received_at"]
            async for r in intake["requests"].find({"_id": {"$in": ids}}, {"received_at": 1})
        }
        published = {
            o["key"]: o
            async for o in intake["outbox"].find({"type": RECEIVED, "key": {"$in": ids}})
        }
        event_ids = [o["event_id"] for o in published.values()]
        taken_up = {
            p["_id"]: p["processed_at"]
            async for p in client[prefix + "access"]["processed_events"].find(
                {"_id": {"$in": event_ids}}
            )
        }
    finally:
        await client.close()
    steps: dict[str, list[float]] = {}
    for request_id, seen in readable.items():
        for step, seconds in _steps(
            received.get(request_id), published.get(request_id), taken_up, seen
        ):
            steps.setdefault(step, []).append(seconds)
    summary = {
        step: [round(percentile(seconds, level) * 1000) for level in LEVELS]
        for step, seconds in steps.items()
    }
    return summary, len(steps.get("in all", []))


def _steps(
    received: datetime | None,
    published: Document | None,
    taken_up: dict[str, datetime],
    seen: datetime,
) -> list[tuple[str, float]]:
    """A submission's steps in seconds; none if any record is missing (not half counted)."""
    if received is None or published is None or published.get("sent_at") is None:
        return []
    access_at = taken_up.get(published["event_id"])
    if access_at is None:
        return []
    sent = published["sent_at"]
    return [
        ("published by intake", _seconds(received, sent)),
        ("taken up by access", _seconds(sent, access_at)),
        ("readable to the probe", _seconds(access_at, seen)),
        ("in all", _seconds(received, seen)),
    ]


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()
