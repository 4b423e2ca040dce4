"""Scenario 6: single-person erasure, from the erasure request to its certificate, over many
people (a few erasures in flight at once), with the four services as processes."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bench.infra import STAFF, Stack, environment, services
from bench.load import submission
from bench.measure import Figure, latency_summary

SERVICES = ("intake", "access", "retention", "surveys")


async def _poll(probe: httpx.AsyncClient, url: str, *, timeout: float) -> httpx.Response | None:
    """GET until 200 or the timeout. A dropped connection is a failed probe, asked again: the
    pool can reuse a keep-alive connection the server is closing (a full bench run lost
    scenario 6 to one `ReadError`); a service that is really gone shows as the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = await probe.get(url, headers=STAFF)
        except httpx.TransportError:
            response = None
        if response is not None and response.status_code == 200:
            return response
        await asyncio.sleep(0.1)
    return None


async def run(
    stack: Stack, *, people: int, concurrency: int, timeout: float, workers: int
) -> list[Figure]:
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers))
    run_tag = prefix.rstrip("_")
    seconds: list[float] = []
    failures = 0
    async with (
        services(stack, SERVICES, env=env) as processes,
        httpx.AsyncClient(timeout=30) as http,
    ):
        intake = processes["intake"].url
        access = processes["access"].url
        retention = processes["retention"].url
        gate = asyncio.Semaphore(concurrency)

        async def erase(number: int) -> None:
            nonlocal failures
            async with gate:
                accepted = await http.post(
                    f"{intake}/requests", json=submission(number, run=run_tag)
                )
                request_id = accepted.json()["request_id"]
                read = await _poll(http, f"{access}/requests/{request_id}", timeout=timeout)
                known = await _poll(
                    http, f"{retention}/retention/requests/{request_id}", timeout=timeout
                )
                if read is None or known is None:
                    failures += 1
                    return
                person = read.json()["requester_id"]
                started = time.perf_counter()
                answer = await http.post(
                    f"{retention}/privacy/erasures",
                    headers=STAFF,
                    json={"data_subject_id": person},
                )
                erasure_id = answer.json().get("erasure_id")
                certificate = erasure_id and await _poll(
                    http, f"{retention}/privacy/certificates/{erasure_id}", timeout=timeout
                )
                if not certificate:
                    failures += 1
                    return
                seconds.append(time.perf_counter() - started)

        await asyncio.gather(*(erase(number) for number in range(people)))
    summary = latency_summary(seconds)
    return [
        Figure(
            scenario="6 single-person erasure",
            metric=f"erasure request → certificate, {level.removesuffix('_ms')}",
            ours=summary[level],
            baseline=None,
            unit="ms",
            higher_is_better=False,
            target="< 1,000 ms" if level == "p99_ms" else "",
            detail=(
                {
                    "people": people,
                    "in_flight": concurrency,
                    "certificates": len(seconds),
                    "failures": failures,
                }
                if level == "p50_ms"
                else {}
            ),
        )
        for level in ("p50_ms", "p95_ms", "p99_ms")
    ]
