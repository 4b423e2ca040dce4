"""Concurrent HTTP clients posting web submissions for a fixed time."""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from pymongo import AsyncMongoClient


def submission(number: int, *, run: str) -> dict[str, Any]:
    """A valid web submission from a new person."""
    return {
        "full_name": f"Person {number}",
        "email": f"person{number}.{run}@example.org",
        "phone": "+47 22 33 44 55",
        "company": "Example AS",
        "subject": "Cannot open the course page",
        "body": "The course page shows an error since this morning. Could you have a look?",
    }


@dataclass
class LoadResult:
    """Accepted submissions, their latencies (s), failures and the seconds it ran."""

    latencies: list[float] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    failures: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


async def post_for(url: str, *, clients: int, seconds: float) -> LoadResult:
    """`clients` concurrent loops posting to `url` until `seconds` have passed."""
    result = LoadResult()
    run = uuid.uuid4().hex[:8]
    numbers = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        started = time.perf_counter()
        deadline = started + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await http.post(url, json=submission(next(numbers), run=run))
                except httpx.HTTPError:
                    result.failures += 1
                    continue
                if response.status_code in (201, 202):
                    result.latencies.append(time.perf_counter() - sent)
                    result.accepted_ids.append(str(response.json().get("request_id", "")))
                else:
                    result.failures += 1

        await asyncio.gather(*(client() for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


async def drained(mongodb_url: str, *, prefix: str, patience: float = 180.0) -> float:
    """Seconds until every submission intake stored has been published, acknowledged, taken
    into access's read model, surveys' candidates and retention's clocks, and access has sent
    its mail: what scenario 2 left queued, which would otherwise slow scenario 3 down."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url)
    started = time.perf_counter()
    try:
        while time.perf_counter() < started + patience:
            intake = client[f"{prefix}intake"]
            stored = await intake["requests"].count_documents({})
            left = [
                await intake["outbox"].count_documents({"sent_at": None}),
                await intake["acknowledgements"].count_documents({"sent_at": None}),
                await client[f"{prefix}access"]["mailbox"].count_documents({}),
            ]
            taken = [
                await client[f"{prefix}access"]["request_views"].count_documents({}),
                await client[f"{prefix}surveys"]["survey_candidates"].count_documents({}),
                await client[f"{prefix}retention"]["retention_clocks"].count_documents({}),
            ]
            if not any(left) and all(count >= stored for count in taken):
                break
            await asyncio.sleep(0.5)
    finally:
        await client.close()
    await asyncio.sleep(2)  # the consumers' last offset commits and relay rounds
    return round(time.perf_counter() - started, 1)
