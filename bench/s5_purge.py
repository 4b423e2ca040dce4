"""Scenario 5: an organisation's purge falls due → every participant completes → certificate.

The organisation's requests are stored directly in each service's database (see purge_seed);
the purge then falls due the real way: the CRM's contract-terminated event, dated more than the
retention period ago, on `crm.contracts`, with the four services running as processes. Timed from
publishing that event to the deletion certificate. Baseline: the same documents seeded again in
fresh databases (same indexes) and removed with raw `delete_many`, collection by collection."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from bench import purge_seed
from bench.infra import STAFF, Stack, environment, runtime_of, services
from bench.measure import Figure
from services.retention.settings import RetentionSettings
from services.surveys.domain import SurveyKeys
from services.surveys.settings import SurveySettings
from shared import topics
from shared.events import CloudEvent
from shared.events.crm import ContractTerminated
from shared.mongo import Document

SERVICES = ("intake", "access", "retention", "surveys")
DATABASES = (*SERVICES, "keystore")


def _secrets(settings: SurveySettings) -> SurveyKeys:
    return SurveyKeys(
        hash_key=settings.opt_out_hash_key.get_secret_value().encode(),
        link_secret=settings.link_secret.get_secret_value().encode(),
    )


async def _seed(
    client: purge_seed.Client, env: dict[str, str], *, prefix: str, requests: int
) -> purge_seed.Organisation:
    settings = cast(SurveySettings, runtime_of("surveys", env).settings)
    return await purge_seed.seed(
        client,
        prefix=prefix,
        requests=requests,
        settings=settings,
        secrets=_secrets(settings),
    )


async def _drop(client: purge_seed.Client, *, prefix: str) -> None:
    for name in DATABASES:
        await client.drop_database(f"{prefix}{name}")


async def _baseline(stack: Stack, client: purge_seed.Client, *, requests: int) -> dict[str, Any]:
    """Seconds of raw delete_many over the same documents, in fresh databases (by organisation
    where the documents name it, else by request or contact ids, IN_CHUNK ids at a time)."""
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix)
    try:
        await purge_seed.create_indexes(client, prefix=prefix)
        organisation = await _seed(client, env, prefix=prefix, requests=requests)
        started = time.perf_counter()
        deleted = 0
        for database, collection, selector in purge_seed.selectors(organisation, prefix=prefix):
            for chunk in purge_seed.chunked(selector):
                result = await client[database][collection].delete_many(chunk)
                deleted += result.deleted_count
        seconds = time.perf_counter() - started
        left = await purge_seed.remaining(client, prefix=prefix, organisation=organisation)
    finally:
        await _drop(client, prefix=prefix)
    return {"seconds": seconds, "deleted": deleted, "remaining": left}


async def _terminate(bootstrap: str, *, organisation_id: str, retention_days: int) -> datetime:
    """Publish the CRM's termination, dated a day more than the retention period ago."""
    now = datetime.now(UTC)
    terminated = ContractTerminated(
        organisation_id=organisation_id,
        termination_date=(now - timedelta(days=retention_days + 1)).date(),
        terminated_at=now - timedelta(days=retention_days + 1),
    )
    event = CloudEvent.of(
        source="/bench/crm",
        type=ContractTerminated.event_type,
        subject=organisation_id,
        time=terminated.terminated_at,
        data=terminated,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        published = datetime.now(UTC)
        await producer.send_and_wait(
            topics.CRM_CONTRACTS, event.to_bytes(), key=organisation_id.encode()
        )
    finally:
        await producer.stop()
    return published


async def _poll(http: httpx.AsyncClient, url: str, *, deadline: float) -> Document | None:
    while time.monotonic() < deadline:
        try:
            response = await http.get(url, headers=STAFF)
        except httpx.TimeoutException:
            print(f"  no answer from retention within {http.timeout.read} s; asking again")
            continue
        if response.status_code == 200:
            found: Document = response.json()
            if found.get("purge_id", True):  # an organisation clock: only once purging
                return found
        await asyncio.sleep(0.2)
    return None


async def _ours(
    stack: Stack, client: purge_seed.Client, *, requests: int, timeout: float, workers: int
) -> dict[str, Any]:
    """Seconds from the termination event to the certificate, with the services as processes."""
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers))
    retention_days = cast(RetentionSettings, runtime_of("retention", env).settings).retention_days
    result: dict[str, Any] = {"certified": False}
    try:
        async with (
            services(stack, SERVICES, env=env) as processes,
            httpx.AsyncClient(timeout=30) as http,
        ):
            organisation = await _seed(client, env, prefix=prefix, requests=requests)
            result["seed_seconds"] = organisation.seed_seconds
            result["documents"] = sum(organisation.documents.values())
            retention = processes["retention"].url
            org_id = organisation.organisation_id
            published = await _terminate(
                stack.kafka_bootstrap, organisation_id=org_id, retention_days=retention_days
            )
            deadline = time.monotonic() + timeout
            clock = await _poll(
                http, f"{retention}/retention/organisations/{org_id}", deadline=deadline
            )
            certificate = clock and await _poll(
                http, f"{retention}/privacy/certificates/{clock['purge_id']}", deadline=deadline
            )
            if certificate:
                certified = datetime.fromisoformat(certificate["certified_at"])
                started = datetime.fromisoformat(certificate["requested_at"])
                result.update(
                    certified=True,
                    seconds=(certified - published).total_seconds(),
                    due_to_purge_started_s=round((started - published).total_seconds(), 2),
                    keys_shredded=certificate["keys_shredded"],
                    participants={
                        name: {
                            "after_s": round(
                                (
                                    datetime.fromisoformat(part["completed_at"]) - published
                                ).total_seconds(),
                                2,
                            ),
                            **part["counts"],
                        }
                        for name, part in certificate["participants"].items()
                    },
                )
            result["remaining"] = await purge_seed.remaining(
                client, prefix=prefix, organisation=organisation
            )
    finally:
        await _drop(client, prefix=prefix)
    return result


async def run(stack: Stack, *, requests: int, timeout: float, workers: int) -> list[Figure]:
    """Baseline first (fresh databases, no services), then the real purge."""
    client: purge_seed.Client = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    try:
        baseline = await _baseline(stack, client, requests=requests)
        ours = await _ours(stack, client, requests=requests, timeout=timeout, workers=workers)
    finally:
        await client.close()
    rate = round(requests / ours["seconds"], 1) if ours["certified"] else 0.0
    return [
        Figure(
            scenario="5 organisation purge",
            metric="requests purged/s (termination published → deletion certificate)",
            ours=rate,
            baseline=round(requests / max(baseline["seconds"], 1e-6), 1),
            unit="requests/s",
            higher_is_better=True,
            target="≥ 0.7",
            detail={
                "requests": requests,
                "consumer_workers": workers,
                "ours_seconds": round(ours.get("seconds", 0.0), 2),
                "baseline_seconds": round(baseline["seconds"], 2),
                "baseline_in_chunk": purge_seed.IN_CHUNK,
                "remaining_after_purge": ours.get("remaining"),
                "remaining_after_baseline": baseline["remaining"],
                "baseline_deleted": baseline["deleted"],
                **{k: v for k, v in ours.items() if k not in {"seconds", "remaining"}},
            },
        )
    ]
