"""Scenario 2's baseline: a bare FastAPI endpoint (`bench.baseline_web`, its own uvicorn
process) that stores the documents intake kept per web submission in one transaction, under the
same load, and what a `POST` to it costs the machine."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bson import json_util
from pymongo import AsyncMongoClient

from bench.bare_endpoint import BareEndpoint
from bench.cpu_use import cpu_seconds, idle_rate, ms_per_unit
from bench.infra import Stack, copy_indexes
from bench.load import LoadResult, post_for

DATABASES = ("intake", "keystore")
"""Where intake keeps a web submission: its own database and the key store."""


async def capture_template(mongodb_url: str, *, prefix: str, into: str) -> dict[str, Any]:
    """The documents intake kept for one web submission, on average (per collection, its count
    over the requests', rounded), with their collections' indexes created afresh in databases
    named `into` + `intake`/`keystore`: what the store baseline inserts per submission."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
    template: dict[str, Any] = {}
    try:
        submissions = await client[f"{prefix}intake"]["requests"].count_documents({})
        for name in DATABASES:
            source, target = client[f"{prefix}{name}"], client[f"{into}{name}"]
            for collection in await source.list_collection_names():
                count = await source[collection].count_documents({})
                per_submission = round(count / max(submissions, 1))
                if not per_submission:
                    continue
                unique = await copy_indexes(source[collection], target[collection])
                documents = await source[collection].find({}).limit(per_submission).to_list()
                template[f"{target.name}.{collection}"] = {"unique": unique, "documents": documents}
    finally:
        await client.close()
    return template


async def store_baseline(
    stack: Stack, *, prefix: str, clients: int, seconds: float
) -> tuple[LoadResult, int, dict[str, float]]:
    """The bare single-transaction endpoint under the same load; its documents per POST, and
    what a POST cost the machine (the endpoint, the store and the bench's clients)."""
    into = f"{prefix}base_"
    template = await capture_template(stack.mongodb_url, prefix=prefix, into=into)
    path = stack.log_dir / "baseline-template.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_util.dumps(template))
    baseline_web = BareEndpoint(
        "baseline web",
        app="bench.baseline_web:create_app",
        env={"BENCH_MONGODB_URL": stack.mongodb_url, "BENCH_TEMPLATE": str(path)},
        log_dir=stack.log_dir,
    )
    baseline_web.start()
    try:
        assert baseline_web.process is not None
        pids = {"bare endpoint": baseline_web.process.pid}
        if "store" in stack.pids:
            pids["store"] = stack.pids["store"]
        idle_from, idle_started = cpu_seconds(pids), time.perf_counter()
        await asyncio.sleep(2)
        cpu_before, load_started = cpu_seconds(pids), time.perf_counter()
        idle_cpu = idle_rate(idle_from, cpu_before, load_started - idle_started)
        result = await post_for(f"{baseline_web.url}/requests", clients=clients, seconds=seconds)
        cpu = ms_per_unit(
            cpu_before,
            cpu_seconds(pids),
            len(result.latencies),
            seconds=time.perf_counter() - load_started,
            idle_per_second=idle_cpu,
        )
    finally:
        baseline_web.stop()
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url)
        for name in DATABASES:
            await client.drop_database(f"{into}{name}")
        await client.close()
    documents = sum(len(kept["documents"]) for kept in template.values())
    return result, documents, cpu
