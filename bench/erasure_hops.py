"""Where an erasure's time goes (scenario 6), read back from what the services stored: each
step's own timestamp, so the breakdown costs the measured run nothing.

For each erasure the bench certified, from its purge (retention's `requested_at`):
- `asked`: retention's erasure request published (its outbox record's `sent_at`);
- `handled by <participant>`: that request handled by the participant, measured from `asked`
  (the participant's processed-event record, written at the end of its handler);
- `completion published`: the participant's completion published, after it was handled;
- `completion recorded`: retention recorded the completion, after it was published;
- `certified after the last completion`: the certificate's `certified_at`, after retention
  recorded the last of the four completions.
Each is summarised as [p50, p90] in milliseconds. Clocks: one machine, one clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient

from bench.measure import percentile

PARTICIPANTS = ("intake", "access", "surveys", "retention")
REQUESTED = "privacy.erasure.requested.v1"
COMPLETED = "privacy.erasure.completed.v1"

Document = dict[str, Any]


async def erasure_hops(mongodb_url: str, *, prefix: str, erasure_ids: list[str]) -> Document:
    """[p50, p90] (ms) of each step of these erasures, from the services' own records."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        stored = {name: await _records(client[prefix + name]) for name in PARTICIPANTS}
        retention = client[prefix + "retention"]
        purges = {
            p["_id"]: p async for p in retention["purges"].find({"_id": {"$in": erasure_ids}})
        }
        certified = {
            c["erasure_id"]: c["certified_at"]
            async for c in retention["deletion_certificates"].find(
                {"erasure_id": {"$in": erasure_ids}}
            )
        }
    finally:
        await client.close()
    steps: dict[str, list[float]] = {}
    for erasure_id in erasure_ids:
        if erasure_id not in purges or erasure_id not in certified:
            continue
        for step, seconds in _steps(erasure_id, purges[erasure_id], certified[erasure_id], stored):
            steps.setdefault(step, []).append(seconds)
    return {
        step: [round(percentile(seconds, level) * 1000) for level in (0.5, 0.9)]
        for step, seconds in steps.items()
    }


async def _records(database: Any) -> Document:
    """A service's erasure events: its outbox records by (type, key) and when it handled each
    event it consumed, by event id."""
    outbox = {
        (o["type"], o["key"]): o
        async for o in database["outbox"].find({"type": {"$in": [REQUESTED, COMPLETED]}})
    }
    handled = {
        p["_id"]: p["processed_at"]
        async for p in database["processed_events"].find({"type": {"$in": [REQUESTED, COMPLETED]}})
    }
    return {"outbox": outbox, "handled": handled}


def _steps(
    erasure_id: str, purge: Document, certified_at: datetime, stored: Document
) -> list[tuple[str, float]]:
    asked_record = stored["retention"]["outbox"].get((REQUESTED, erasure_id))
    if asked_record is None or asked_record.get("sent_at") is None:
        return []
    asked = asked_record["sent_at"]
    found = [("asked", _seconds(purge["requested_at"], asked))]
    recorded_last: datetime | None = None
    for name in PARTICIPANTS:
        handled = stored[name]["handled"].get(asked_record["event_id"])
        completion = stored[name]["outbox"].get((COMPLETED, erasure_id))
        if handled is None or completion is None or completion.get("sent_at") is None:
            return []
        recorded = stored["retention"]["handled"].get(completion["event_id"])
        if recorded is None:
            return []
        found += [
            (f"handled by {name}", _seconds(asked, handled)),
            (f"completion published by {name}", _seconds(handled, completion["sent_at"])),
            (f"completion of {name} recorded", _seconds(completion["sent_at"], recorded)),
        ]
        recorded_last = recorded if recorded_last is None else max(recorded_last, recorded)
    assert recorded_last is not None
    found.append(("certified after the last completion", _seconds(recorded_last, certified_at)))
    return found


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()
