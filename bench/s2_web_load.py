"""Scenarios 2, 3 and 7: web submissions under load against a bare endpoint that stores the same
documents in one transaction, the end-to-end latency from `POST` accepted to readable through
access at a steady rate, and the resident memory of each service idle and under the load."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from bench.cpu_use import cpu_seconds, idle_rate, ms_per_unit
from bench.infra import Stack, environment, resident_mb, services
from bench.load import LoadResult, drained, post_for
from bench.measure import Figure, latency_summary
from bench.s2_baseline import store_baseline
from bench.s3_end_to_end import steady_end_to_end
from bench.store_top import per_unit, store_top
from bench.submission_hops import submission_hops
from deploy.local.services import ServiceProcess

SERVICES = ("intake", "access", "retention", "surveys")
RSS_LIMIT_MB = 150.0
IDLE_SECONDS = 3.0


async def _memory_under_load(
    processes: dict[str, ServiceProcess], *, until: float
) -> dict[str, float]:
    peak = dict.fromkeys(processes, 0.0)
    while time.perf_counter() < until:
        for name, process in processes.items():
            peak[name] = max(peak[name], resident_mb(process))
        await asyncio.sleep(1.0)
    return peak


async def run(
    stack: Stack,
    *,
    clients: int,
    seconds: float,
    rate: float,
    workers: int,
    probe_every: int = 5,
    patience: float = 60.0,
) -> list[Figure]:
    """Ours first (the baseline's documents are taken from what intake kept), then the bare
    endpoint with the same documents, on the same store and load."""
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers))
    async with services(stack, SERVICES, env=env) as processes:
        pids = {**stack.pids, **{n: p.process.pid for n, p in processes.items() if p.process}}
        await asyncio.sleep(5)
        idle = {name: resident_mb(process) for name, process in processes.items()}
        cpu_before, load_started = cpu_seconds(pids), time.perf_counter()
        until = time.perf_counter() + seconds
        before = await store_top(stack.mongodb_url, prefix=prefix)
        ours_task = asyncio.create_task(
            post_for(f"{processes['intake'].url}/requests", clients=clients, seconds=seconds)
        )
        peak = await _memory_under_load(processes, until=until)
        ours: LoadResult = await ours_task
        # what the load left queued is consumed before the steady run
        drained_after = await drained(stack.mongodb_url, prefix=prefix)
        # what the load cost the machine until everything it set off was done, less what the
        # same processes spend idle (measured after: the first seconds are the consumers' start)
        cpu_after, load_seconds = cpu_seconds(pids), time.perf_counter() - load_started
        await asyncio.sleep(IDLE_SECONDS)
        idle_cpu = idle_rate(cpu_after, cpu_seconds(pids), IDLE_SECONDS)
        cpu = ms_per_unit(
            cpu_before,
            cpu_after,
            len(ours.latencies),
            seconds=load_seconds,
            idle_per_second=idle_cpu,
        )
        # the store's own counters over the load and what it left queued, per submission
        store = per_unit(
            before,
            await store_top(stack.mongodb_url, prefix=prefix),
            len(ours.latencies),
            unit="submission",
        )
        e2e, unreadable, e2e_failed, readable = await steady_end_to_end(
            processes["intake"].url,
            processes["access"].url,
            rate=rate,
            seconds=seconds,
            probe_every=probe_every,
            patience=patience,
        )
        steps, broken_down = await submission_hops(
            stack.mongodb_url, prefix=prefix, readable=readable
        )
    baseline, documents, baseline_cpu = await store_baseline(
        stack, prefix=prefix, clients=clients, seconds=seconds
    )
    return _figures(
        ours=ours,
        baseline=baseline,
        documents=documents,
        e2e=e2e,
        e2e_detail={
            "rate_per_s": rate,
            "seconds": seconds,
            "probed_every": probe_every,
            "readable": len(e2e),
            "not_readable_in_time": unreadable,
            "failed_posts": e2e_failed,
            "scenario_2_drained_after_s": drained_after,
            "steps_p50_p90_p99_ms": steps,
            "probes_broken_down": broken_down,
        },
        idle=idle,
        peak=peak,
        clients=clients,
        store={
            **store,
            "cpu_ms_per_submission": cpu,
            "baseline_cpu_ms_per_submission": baseline_cpu,
        },
    )


def _figures(
    *,
    ours: LoadResult,
    baseline: LoadResult,
    documents: int,
    e2e: list[float],
    e2e_detail: dict[str, Any],
    idle: dict[str, float],
    peak: dict[str, float],
    clients: int,
    store: dict[str, Any],
) -> list[Figure]:
    ours_latency = latency_summary(ours.latencies)
    base_latency = latency_summary(baseline.latencies)
    figures = [
        Figure(
            scenario="2 web submissions",
            metric=f"accepted requests/s, {clients} clients",
            ours=round(ours.per_second, 1),
            baseline=round(baseline.per_second, 1),
            unit="requests/s",
            higher_is_better=True,
            detail={
                "baseline": "bare FastAPI endpoint inserting the same documents in one transaction",
                "documents_per_submission": documents,
                "accepted": len(ours.latencies),
                "failures": ours.failures,
                "baseline_accepted": len(baseline.latencies),
                "baseline_failures": baseline.failures,
                **store,
            },
        )
    ]
    for level in ("p50_ms", "p95_ms", "p99_ms"):
        figures.append(
            Figure(
                scenario="2 web submissions",
                metric=f"POST latency {level.removesuffix('_ms')}",
                ours=ours_latency[level],
                baseline=base_latency[level],
                unit="ms",
                higher_is_better=False,
                target="≤ 3" if level == "p99_ms" else "",
            )
        )
    e2e_summary = latency_summary(e2e)
    rate = e2e_detail["rate_per_s"]
    for level in ("p50_ms", "p95_ms", "p99_ms"):
        figures.append(
            Figure(
                scenario="3 end-to-end latency",
                metric=f"POST accepted → readable in access at {rate:g} submissions/s, "
                f"{level.removesuffix('_ms')}",
                ours=e2e_summary[level],
                baseline=None,
                unit="ms",
                higher_is_better=False,
                target="< 1,000 ms" if level == "p99_ms" else "",
                detail=e2e_detail if level == "p50_ms" else {},
            )
        )
    for name in idle:
        figures.append(
            Figure(
                scenario="7 footprint",
                metric=f"{name} resident memory idle / under scenario 2",
                ours=peak[name],
                baseline=idle[name],
                unit="MiB",
                higher_is_better=False,
                target=f"≤ {RSS_LIMIT_MB:.0f} MiB under load",
                detail={"idle_mb": idle[name], "under_load_mb": peak[name]},
            )
        )
    return figures
