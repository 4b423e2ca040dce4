"""Scenarios 2, 3 and 7: web submissions under load against a bare publishing endpoint, the
end-to-end latency from `POST` accepted to readable through access under that load, and the
resident memory of each service idle and under the load."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import httpx

from bench.infra import STAFF, Stack, environment, resident_mb, services
from bench.load import LoadResult, post_for, submission
from bench.measure import Figure, latency_summary
from deploy.local.services import ServiceProcess
from deploy.local.stack import LocalProcess, free_port, port_open

SERVICES = ("intake", "access", "retention", "surveys")
RSS_LIMIT_MB = 250.0


class BaselineWeb(LocalProcess):
    """The bare publishing endpoint, served by uvicorn as its own process."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(name="baseline web", log_path=stack.log_dir / "baseline-web.log")
        self.port = free_port()
        self.stack = stack

    def start(self, *, timeout: float = 60.0) -> None:
        import os

        self.launch(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "bench.baseline_web:create_app",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env={**os.environ, "BENCH_KAFKA_BOOTSTRAP": self.stack.kafka_bootstrap},
        )
        self.wait_for(lambda: port_open(self.port), timeout=timeout)


async def _end_to_end(
    intake: str, access: str, *, until: float, interval: float, patience: float
) -> tuple[list[float], int]:
    """Every `interval` s a probe posts one request and polls access until it is readable
    (giving up `patience` s after the load ended); the latencies and how many never were."""
    latencies: list[float] = []
    failures: list[int] = []
    run = f"e2e{uuid.uuid4().hex[:6]}"

    async def probe(number: int, http: httpx.AsyncClient) -> None:
        try:
            accepted = await http.post(f"{intake}/requests", json=submission(number, run=run))
            if accepted.status_code != 202:
                return
            at = time.perf_counter()
            request_id = accepted.json()["request_id"]
            while time.perf_counter() < until + patience:
                read = await http.get(f"{access}/requests/{request_id}", headers=STAFF)
                if read.status_code == 200:
                    latencies.append(time.perf_counter() - at)
                    return
                await asyncio.sleep(0.05)
        except httpx.HTTPError:
            failures.append(number)

    probes = []
    async with httpx.AsyncClient(timeout=30) as http:
        number = 0
        while time.perf_counter() < until:
            probes.append(asyncio.create_task(probe(number, http)))
            number += 1
            await asyncio.sleep(interval)
        await asyncio.gather(*probes)
    return latencies, number - len(latencies)


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
    probe_interval: float,
    workers: int,
    patience: float = 120.0,
) -> list[Figure]:
    baseline_web = BaselineWeb(stack)
    baseline_web.start()
    try:
        baseline = await post_for(
            f"http://127.0.0.1:{baseline_web.port}/requests", clients=clients, seconds=seconds
        )
    finally:
        baseline_web.stop()
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers))
    async with services(stack, SERVICES, env=env) as processes:
        await asyncio.sleep(5)
        idle = {name: resident_mb(process) for name, process in processes.items()}
        until = time.perf_counter() + seconds
        ours_task = asyncio.create_task(
            post_for(f"{processes['intake'].url}/requests", clients=clients, seconds=seconds)
        )
        e2e_task = asyncio.create_task(
            _end_to_end(
                processes["intake"].url,
                processes["access"].url,
                until=until,
                interval=probe_interval,
                patience=patience,
            )
        )
        peak = await _memory_under_load(processes, until=until)
        ours: LoadResult = await ours_task
        e2e, unreadable = await e2e_task
    return _figures(
        ours=ours,
        baseline=baseline,
        e2e=e2e,
        unreadable=unreadable,
        idle=idle,
        peak=peak,
        clients=clients,
    )


def _figures(
    *,
    ours: LoadResult,
    baseline: LoadResult,
    e2e: list[float],
    unreadable: int,
    idle: dict[str, float],
    peak: dict[str, float],
    clients: int,
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
                "accepted": len(ours.latencies),
                "failures": ours.failures,
                "baseline_accepted": len(baseline.latencies),
                "baseline_failures": baseline.failures,
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
            )
        )
    e2e_summary = latency_summary(e2e)
    for level in ("p50_ms", "p95_ms", "p99_ms"):
        figures.append(
            Figure(
                scenario="3 end-to-end latency",
                metric=f"POST accepted → readable in access, {level.removesuffix('_ms')}",
                ours=e2e_summary[level],
                baseline=None,
                unit="ms",
                higher_is_better=False,
                detail={"readable": len(e2e), "not_readable_in_time": unreadable}
                if level == "p50_ms"
                else {},
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
