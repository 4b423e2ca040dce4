"""`python -m bench`: start (or use) the stack, run the scenarios, write the report."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    report,
    s1_intake_pipeline,
    s2_web_load,
    s4_access_reads,
    s5_purge,
    s6_erasure,
    s7_expiry,
)
from bench.infra import Stack, machine, provide_stack
from bench.measure import Figure

SCENARIOS = ("1", "2", "4", "5", "6", "7")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scenarios", default=env("BENCH_SCENARIOS", ",".join(SCENARIOS)))
    parser.add_argument("--events", type=int, default=int(env("BENCH_EVENTS", "4000")))
    parser.add_argument("--clients", type=int, default=int(env("BENCH_CLIENTS", "8")))
    parser.add_argument("--seconds", type=float, default=float(env("BENCH_SECONDS", "20")))
    parser.add_argument(
        "--rate",
        type=float,
        default=float(env("BENCH_RATE", "50")),
        help="submissions/s of scenario 3's steady run",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(env("BENCH_CONSUMER_WORKERS", "1")),
        help="CONSUMER_WORKERS given to the services",
    )
    parser.add_argument("--requests", type=int, default=int(env("BENCH_REQUESTS", "50000")))
    parser.add_argument("--reads", type=int, default=int(env("BENCH_READS", "30")))
    parser.add_argument(
        "--purge-requests",
        type=int,
        default=int(env("BENCH_PURGE_REQUESTS", "3000")),
        help="requests of the organisation purged in scenario 5 (the issue's full size: 20000)",
    )
    parser.add_argument(
        "--ttl-documents",
        type=int,
        default=int(env("BENCH_TTL_DOCUMENTS", "100000")),
        help="documents that expire together in scenario 7",
    )
    parser.add_argument("--people", type=int, default=int(env("BENCH_PEOPLE", "30")))
    parser.add_argument("--in-flight", type=int, default=int(env("BENCH_IN_FLIGHT", "10")))
    parser.add_argument("--timeout", type=float, default=float(env("BENCH_TIMEOUT", "600")))
    parser.add_argument(
        "--markdown", type=Path, default=Path(env("BENCH_MARKDOWN", "BENCHMARKS.md"))
    )
    parser.add_argument("--json", type=Path, default=Path(env("BENCH_JSON", "benchmarks.json")))
    parser.add_argument(
        "--keep-logs",
        type=Path,
        default=Path(env("BENCH_KEEP_LOGS", "")) if env("BENCH_KEEP_LOGS", "") else None,
        help="copy the run's service and infrastructure logs here (they are deleted otherwise)",
    )
    return parser.parse_args(argv)


async def _run(stack: Stack, options: argparse.Namespace) -> tuple[list[Figure], list[str]]:
    chosen = {name.strip() for name in options.scenarios.split(",") if name.strip()}
    steps: dict[str, Callable[[], Awaitable[list[Figure]]]] = {
        "1": lambda: s1_intake_pipeline.run(
            stack, events=options.events, timeout=options.timeout, workers=options.workers
        ),
        "2": lambda: s2_web_load.run(
            stack,
            clients=options.clients,
            seconds=options.seconds,
            rate=options.rate,
            workers=options.workers,
        ),
        "4": lambda: s4_access_reads.run(
            stack, requests=options.requests, reads=options.reads, workers=options.workers
        ),
        "5": lambda: s5_purge.run(
            stack,
            requests=options.purge_requests,
            timeout=options.timeout,
            workers=options.workers,
        ),
        "6": lambda: s6_erasure.run(
            stack,
            people=options.people,
            concurrency=options.in_flight,
            timeout=min(options.timeout, 180),
            workers=options.workers,
        ),
        "7": lambda: s7_expiry.run(stack, documents=options.ttl_documents, timeout=options.timeout),
    }
    figures: list[Figure] = []
    failed: list[str] = []
    for name, step in steps.items():
        if name in chosen:
            print(f"scenario {name} ...", flush=True)
            try:
                found = await step()
            except Exception as error:  # one scenario failing must not lose the others' figures
                print(f"scenario {name} failed: {error!r}", flush=True)
                traceback.print_exc()
                failed.append(f"{name}: {type(error).__name__}")
                continue
            for figure in found:
                print(
                    f"  {figure.metric}: ours {figure.ours} baseline {figure.baseline} "
                    f"ratio {figure.ratio}",
                    flush=True,
                )
            figures.extend(found)
    return figures, failed


def main(argv: list[str] | None = None) -> dict[str, Any]:
    options = _arguments(argv)
    started = time.perf_counter()
    at_start = machine()
    with tempfile.TemporaryDirectory(prefix="bench-") as base:
        try:
            with provide_stack(Path(base)) as stack:
                figures, failed = asyncio.run(_run(stack, options))
        finally:
            logs = Path(base) / "logs"
            if options.keep_logs and logs.exists():
                shutil.copytree(logs, options.keep_logs, dirs_exist_ok=True)
                print(f"logs kept in {options.keep_logs}", flush=True)
    run = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": at_start,
        "versions": stack.versions,
        "origin": stack.origin,
        "sizes": {
            "events": options.events,
            "clients": options.clients,
            "rate": options.rate,
            "seconds": options.seconds,
            "consumer_workers": options.workers,
            "requests": options.requests,
            "reads": options.reads,
            "purge_requests": options.purge_requests,
            "people": options.people,
            "in_flight": options.in_flight,
        },
        "wall_seconds": time.perf_counter() - started,
        "failed": failed,
    }
    report.write(figures=figures, run=run, markdown=options.markdown, data=options.json)
    print(f"wrote {options.markdown} and {options.json}", flush=True)
    return report.as_json(figures=figures, run=run)


if __name__ == "__main__":
    main()
