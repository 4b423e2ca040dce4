"""Scenario 4: list and detail reads for each role against a read model of many requests.

Baseline: the equivalent raw query on the same collection and indexes, from this process.
Second baseline, in rows of their own: the same raw query behind a bare FastAPI endpoint in its
own process (bench/baseline_reads.py), read over HTTP like access, so the difference to access
is what authentication, the visibility rules and the durable audit cost."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pymongo import DESCENDING, AsyncMongoClient

from bench.baseline_reads import baseline_reads
from bench.infra import STAFF, Stack, environment, services
from bench.measure import Figure, latency_summary
from shared.settings import ServiceSettings
from shared.tokens import KeyRing, issue_token

REQUESTERS_PER_REQUEST = 5  # every requester filed this many requests
ORGANISATIONS = 2000
BATCH = 5000
NEWEST_FIRST = [("received_at", DESCENDING), ("_id", DESCENDING)]
BARE = "raw query behind a bare FastAPI endpoint"
Read = Callable[[], Awaitable[Any]]


def request_view(number: int, *, requesters: int, at: datetime) -> dict[str, Any]:
    """One request as access's read model stores it; even requesters belong to an organisation."""
    requester = number % requesters
    organisation = f"org-{requester % ORGANISATIONS}" if requester % 2 == 0 else None
    received = at - timedelta(seconds=number)
    return {
        "_id": f"req-{number:07d}",
        "reference": f"SR-{number:08d}",
        "channel": ("web", "email", "phone")[number % 3],
        "status": "open",
        "lawful_basis": "contract" if organisation else "legitimate_interest",
        "organisation_id": organisation,
        "organisation_derived": False,
        "requester_id": f"contact-{requester}",
        "requester_email_normalised": f"person{requester}@example.org",
        "received_at": received,
        "updated_at": received,
        "requester_name": f"Person {requester}",
        "requester_email": f"person{requester}@example.org",
        "subject": "Cannot open the course page",
        "body": "The course page shows an error since this morning. Could you have a look?",
        "messages": [],
    }


async def _seed(database: Any, *, requests: int) -> float:
    """Write the read model and one official contact of org-0; return the seconds it took."""
    started = time.perf_counter()
    requesters = max(1, requests // REQUESTERS_PER_REQUEST)
    at = datetime.now(UTC)
    for first in range(0, requests, BATCH):
        await database["request_views"].insert_many(
            [
                request_view(n, requesters=requesters, at=at)
                for n in range(first, min(first + BATCH, requests))
            ],
            ordered=False,
        )
    await database["representatives"].insert_one(
        {
            "_id": "org-0:official-0",
            "organisation_id": "org-0",
            "contact_id": "official-0",
            "email_normalised": "official0@example.org",
            "member": True,
            "member_at": at - timedelta(days=400),
            "member_since": at - timedelta(days=400),
            "official": True,
            "official_at": at - timedelta(days=400),
        }
    )
    return time.perf_counter() - started


async def _time(operation: Callable[[], Awaitable[Any]], *, reads: int) -> list[float]:
    samples = []
    for _ in range(reads):
        started = time.perf_counter()
        await operation()
        samples.append(time.perf_counter() - started)
    return samples


async def run(stack: Stack, *, requests: int, reads: int, workers: int) -> list[Figure]:
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers))
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    database = client[f"{prefix}access"]
    views = database["request_views"]
    keys = KeyRing.parse(ServiceSettings().token_signing_keys.get_secret_value())
    now = datetime.now(UTC)

    def bearer(principal: str) -> dict[str, str]:
        token = issue_token(principal, "requester", keys=keys, now=now, lifetime=timedelta(hours=2))
        return {"Authorization": f"Bearer {token}"}

    requester = "contact-1"  # an end user: own requests only
    official = bearer("official-0")
    own = bearer(requester)
    org_ids: list[str] = []
    own_ids: list[str] = []
    seeded = 0.0
    figures: list[Figure] = []
    bare = baseline_reads(
        mongodb_url=stack.mongodb_url, database=database.name, log_dir=stack.log_dir
    )
    try:
        async with services(stack, ("access",), env=env) as processes:
            seeded = await _seed(database, requests=requests)
            org_ids = [
                d["_id"]
                for d in await views.find({"organisation_id": "org-0"}, {"_id": 1}).to_list()
            ]
            own_ids = [
                d["_id"]
                for d in await views.find({"requester_id": requester}, {"_id": 1}).to_list()
            ]
            any_ids = [f"req-{random.randrange(requests):07d}" for _ in range(reads)]
            bare.start()
            url = processes["access"].url
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:

                async def get(path: str, headers: dict[str, str] | None = None) -> None:
                    response = await http.get(path, headers=headers)
                    response.raise_for_status()

                def at_bare(path: str) -> Read:
                    return lambda: get(bare.url + path)

                cases: list[tuple[str, Read, Read, Read]] = [
                    (
                        "support staff: list newest 50",
                        lambda: get("/requests?limit=50", STAFF),
                        lambda: views.find({}).sort(NEWEST_FIRST).limit(50).to_list(),
                        at_bare("/requests?limit=50"),
                    ),
                    (
                        "support staff: detail",
                        lambda: get(f"/requests/{random.choice(any_ids)}", STAFF),
                        lambda: views.find_one({"_id": random.choice(any_ids)}),
                        lambda: get(f"{bare.url}/requests/{random.choice(any_ids)}"),
                    ),
                    (
                        "official contact: list organisation's newest 50",
                        lambda: get("/requests?limit=50", official),
                        lambda: (
                            views.find({"organisation_id": "org-0"})
                            .sort(NEWEST_FIRST)
                            .limit(50)
                            .to_list()
                        ),
                        at_bare("/requests?organisation_id=org-0&limit=50"),
                    ),
                    (
                        "official contact: detail",
                        lambda: get(f"/requests/{random.choice(org_ids)}", official),
                        lambda: views.find_one({"_id": random.choice(org_ids)}),
                        lambda: get(f"{bare.url}/requests/{random.choice(org_ids)}"),
                    ),
                    (
                        "requester: list own",
                        lambda: get("/requests?limit=50", own),
                        lambda: (
                            views.find({"requester_id": requester})
                            .sort(NEWEST_FIRST)
                            .limit(50)
                            .to_list()
                        ),
                        at_bare(f"/requests?requester_id={requester}&limit=50"),
                    ),
                    (
                        "requester: detail",
                        lambda: get(f"/requests/{random.choice(own_ids)}", own),
                        lambda: views.find_one({"_id": random.choice(own_ids)}),
                        lambda: get(f"{bare.url}/requests/{random.choice(own_ids)}"),
                    ),
                ]
                by_bare: list[Figure] = []
                for name, ours_read, raw_read, bare_read in cases:
                    for read in (ours_read, raw_read, bare_read):  # warm up every path once
                        await read()
                    ours = latency_summary(await _time(ours_read, reads=reads))
                    raw = latency_summary(await _time(raw_read, reads=reads))
                    over_http = latency_summary(await _time(bare_read, reads=reads))
                    for level in ("p50_ms", "p99_ms"):
                        figures.append(_figure(name, level, ours[level], raw[level], reads))
                        by_bare.append(
                            _figure(
                                f"{name} (baseline: {BARE})",
                                level,
                                ours[level],
                                over_http[level],
                                reads,
                                target="≤ 1.5",
                            )
                        )
                figures += by_bare
        figures[0].detail.update(
            {
                "requests": requests,
                "seed_seconds": round(seeded, 1),
                "official_contact_requests": len(org_ids),
                "requester_requests": len(own_ids),
            }
        )
    finally:
        bare.stop()
        await client.drop_database(database.name)
        await client.close()
    return figures


def _figure(
    name: str, level: str, ours: float, baseline: float, reads: int, *, target: str = "reference"
) -> Figure:
    return Figure(
        scenario="4 access reads",
        metric=f"{name}, {level.removesuffix('_ms')}",
        ours=ours,
        baseline=baseline,
        unit="ms",
        higher_is_better=False,
        target=target,
        detail={"reads": reads} if level == "p50_ms" else {},
    )
