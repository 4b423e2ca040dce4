"""Scenario 3's load: web submissions at a steady rate, every few of them polled in access
until readable (run by `bench.s2_web_load` on the services scenario 2 started)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import httpx

from bench.infra import STAFF
from bench.load import submission


async def steady_end_to_end(
    intake: str, access: str, *, rate: float, seconds: float, probe_every: int, patience: float
) -> tuple[list[float], int, int, dict[str, datetime]]:
    """Submissions at a steady `rate` per second for `seconds`; every `probe_every`-th is
    polled in access (staff detail, every 50 ms) until it is readable. Returns the latencies
    from `POST` accepted to readable, how many probes never were, how many POSTs failed, and
    when each probed request was first read."""
    latencies: list[float] = []
    readable: dict[str, datetime] = {}
    failed = 0
    unreadable = 0
    run = f"e2e{uuid.uuid4().hex[:6]}"

    async def submit(number: int, http: httpx.AsyncClient, probe: bool) -> None:
        nonlocal failed, unreadable
        try:
            accepted = await http.post(f"{intake}/requests", json=submission(number, run=run))
        except httpx.HTTPError:
            failed += 1
            return
        if accepted.status_code != 202:
            failed += 1
            return
        if not probe:
            return
        at = time.perf_counter()
        request_id = accepted.json()["request_id"]
        while time.perf_counter() < at + patience:
            try:
                read = await http.get(f"{access}/requests/{request_id}", headers=STAFF)
            except httpx.HTTPError:
                read = None
            if read is not None and read.status_code == 200:
                latencies.append(time.perf_counter() - at)
                readable[request_id] = datetime.now(UTC)
                return
            await asyncio.sleep(0.05)
        unreadable += 1

    tasks = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        started = time.perf_counter()
        number = 0
        while (due := started + number / rate) < started + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tasks.append(asyncio.create_task(submit(number, http, number % probe_every == 0)))
            number += 1
        await asyncio.gather(*tasks)
    return latencies, unreadable, failed, readable
