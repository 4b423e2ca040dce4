"""Scenario 6: single-person erasure, from the erasure request to its certificate, over many
people (a few erasures in flight at once), with the four services as processes."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from bench.erasure_hops import erasure_hops
from bench.infra import STAFF, Stack, environment, services
from bench.load import submission
from bench.measure import Figure, latency_summary
from bench.store_top import per_unit, store_top

SERVICES = ("intake", "access", "retention", "surveys")


async def _poll(
    probe: httpx.AsyncClient, url: str, *, timeout: float, server_waits: bool = False
) -> httpx.Response | None:
    """GET until 200 or the timeout. A dropped connection is a failed probe, asked again: the
    pool can reuse a keep-alive connection the server is closing (a full bench run lost
    scenario 6 to one `ReadError`); a service that is really gone shows as the timeout.
    `server_waits`: the endpoint takes `?wait=` and answers once it has the answer (the
    certificate), so one request replaces ten polls a second and measures to the millisecond."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = deadline - time.monotonic()
        params = {"wait": f"{min(left, 20):.1f}"} if server_waits else None
        try:
            response = await probe.get(url, headers=STAFF, params=params)
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
    certified: list[str] = []
    failures = 0
    async with (
        services(stack, SERVICES, env=env) as processes,
        httpx.AsyncClient(timeout=30) as http,
    ):
        intake = processes["intake"].url
        access = processes["access"].url
        retention = processes["retention"].url
        gate = asyncio.Semaphore(concurrency)

        async def known_person(number: int) -> str | None:
            """Submit a request and wait until access and retention both know it: the
            person's id, or None."""
            async with gate:
                accepted = await http.post(
                    f"{intake}/requests", json=submission(number, run=run_tag)
                )
                request_id = accepted.json()["request_id"]
                read = await _poll(http, f"{access}/requests/{request_id}", timeout=timeout)
                known = await _poll(
                    http, f"{retention}/retention/requests/{request_id}", timeout=timeout
                )
            return None if read is None or known is None else str(read.json()["requester_id"])

        async def erase(person: str) -> None:
            nonlocal failures
            async with gate:
                started = time.perf_counter()
                answer = await http.post(
                    f"{retention}/privacy/erasures",
                    headers=STAFF,
                    json={"data_subject_id": person},
                )
                erasure_id = answer.json().get("erasure_id")
                certificate = erasure_id and await _poll(
                    http,
                    f"{retention}/privacy/certificates/{erasure_id}",
                    timeout=timeout,
                    server_waits=True,
                )
                if not certificate:
                    failures += 1
                    return
                seconds.append(time.perf_counter() - started)
                certified.append(str(erasure_id))

        # Everyone's request first, then the erasures: the measured erasures share the machine
        # with each other, not with the set-up's submissions and the polls that wait for them.
        persons = await asyncio.gather(*(known_person(number) for number in range(people)))
        failures += sum(1 for person in persons if person is None)
        before = await store_top(stack.mongodb_url, prefix=prefix)
        await asyncio.gather(*(erase(person) for person in persons if person is not None))
        after = await store_top(stack.mongodb_url, prefix=prefix)
    store = per_unit(before, after, len(certified), unit="erasure")
    steps = await erasure_hops(stack.mongodb_url, prefix=prefix, erasure_ids=certified)
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
                    "steps_p50_p90_ms": steps,
                    # the store's own counters over the erasures, per certified erasure
                    **store,
                }
                if level == "p50_ms"
                else {}
            ),
        )
        for level in ("p50_ms", "p95_ms", "p99_ms")
    ]
