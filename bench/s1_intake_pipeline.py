"""Scenario 1: phone events already on `intake.phone` → requests stored and published.

Baseline: the same records consumed with plain aiokafka and written with `insert_many`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from pymongo import AsyncMongoClient

from bench.infra import Stack, copy_indexes, environment, runtime_of, services
from bench.measure import Figure
from deploy.local.groups import commit_at_end, topic_partitions
from shared import topics
from shared.events import CloudEvent
from shared.events.channels import PhoneCallLogged
from shared.kafka import ensure_topics

RECEIVED = "support.request.received.v1"


def phone_call(number: int, *, run: str) -> CloudEvent:
    """A call from a new caller (every tenth caller calls twice with a new request)."""
    caller = number - number % 10 if number % 10 == 1 else number
    started = datetime.now(UTC) - timedelta(minutes=5)
    call = PhoneCallLogged(
        call_id=f"{run}-{number}",
        caller_number=f"+47 4{caller:07d}",
        caller_name=f"Caller {caller}",
        caller_email=f"caller{caller}.{run}@example.org",
        caller_company="Example AS",
        agent_id="agent-1",
        call_started_at=started,
        call_ended_at=started + timedelta(minutes=3),
        subject="Cannot open the course page",
        notes="The course page shows an error since this morning; please call back.",
    )
    return CloudEvent.of(
        source="/bench/telephony",
        type=PhoneCallLogged.event_type,
        subject=call.call_id,
        time=started,
        data=call,
    )


async def _produce(bootstrap: str, count: int, *, run: str) -> dict[TopicPartition, int]:
    """Put `count` calls on the phone topic; return where they start on each partition."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        partitions = await producer.partitions_for(topics.PHONE_INTAKE)
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
        await consumer.start()
        tps = [TopicPartition(topics.PHONE_INTAKE, p) for p in partitions]
        starts: dict[TopicPartition, int] = await consumer.end_offsets(tps)
        await consumer.stop()
        pending = []
        for number in range(count):
            event = phone_call(number, run=run)
            pending.append(
                await producer.send(
                    topics.PHONE_INTAKE, event.to_bytes(), key=event.subject.encode()
                )
            )
        await asyncio.gather(*pending)
        return starts
    finally:
        await producer.stop()


async def _baseline(stack: Stack, starts: dict[TopicPartition, int], *, count: int) -> float:
    """events/s of plain aiokafka + insert_many over the same records."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_url)
    collection = client[f"bench_{uuid.uuid4().hex[:8]}"]["requests"]
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    written = 0
    try:
        consumer.assign(list(starts))
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        started = time.perf_counter()
        while written < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            documents = [json.loads(r.value) for batch in batches.values() for r in batch]
            if documents:
                await collection.insert_many(documents, ordered=False)
                written += len(documents)
        elapsed = time.perf_counter() - started
    finally:
        await consumer.stop()
        await client.drop_database(collection.database.name)
        await client.close()
    return written / elapsed


async def _store_floor(databases: list[Any]) -> tuple[dict[str, int], float]:
    """The documents intake stored for the run, per collection, and the seconds that raw
    `insert_many` (1,000 a time, unordered) of the same documents takes into fresh collections
    with the same indexes: the store's own cost of the write set the policy asks for."""
    counts: dict[str, int] = {}
    seconds = 0.0
    for database in databases:
        copy = database.client[f"{database.name}_floor"]
        try:
            for name in await database.list_collection_names():
                documents = await database[name].find({}).to_list()
                counts[f"{database.name.split('_', 1)[-1]}.{name}"] = len(documents)
                await copy_indexes(database[name], copy[name])
                started = time.perf_counter()
                for first in range(0, len(documents), 1000):
                    await copy[name].insert_many(documents[first : first + 1000], ordered=False)
                seconds += time.perf_counter() - started
        finally:
            await database.client.drop_database(copy.name)
    return counts, seconds


async def _end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    partitions = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        found: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return found
    finally:
        await consumer.stop()


async def _published_since(bootstrap: str, starts: dict[TopicPartition, int]) -> int:
    """Records on the requests topic since `starts`: scenario 1's calls only open requests,
    so every one is a published request."""
    ends = await _end_offsets(bootstrap, topics.SUPPORT_REQUESTS)
    return sum(ends.get(tp, offset) - offset for tp, offset in starts.items())


async def _pending(database: Any) -> int:
    pending: int = await database["outbox"].count_documents({"sent_at": None})
    return pending


async def _ours(
    stack: Stack, *, prefix: str, count: int, timeout: float, workers: int
) -> dict[str, Any]:
    """events/s of intake: first event processed → last request published (from its records)."""
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    database = client[f"{prefix}intake"]
    await ensure_topics(stack.kafka_bootstrap, {topics.SUPPORT_REQUESTS}, partitions=6)
    published_from = await _end_offsets(stack.kafka_bootstrap, topics.SUPPORT_REQUESTS)
    try:
        async with services(
            stack,
            ("intake",),
            env=environment(stack, prefix=prefix, CONSUMER_WORKERS=str(workers)),
            keep=frozenset({topics.PHONE_INTAKE}),
        ):
            # Progress from Kafka's offsets, not the store: counting the outbox every second
            # is a collection scan on SecantusDB (`estimated_document_count` too) that grew with
            # the run and slowed intake down (50,000 calls: ~30 % of the store's time late on)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                published = await _published_since(stack.kafka_bootstrap, published_from)
                # and marked sent (an indexed count): the relay marks them after publishing
                if published >= count and not await _pending(database):
                    break
                await asyncio.sleep(1.0)
        sent = await database["outbox"].count_documents(
            {"type": RECEIVED, "sent_at": {"$ne": None}}
        )
        first = await database["processed_events"].find_one(
            {"topic": topics.PHONE_INTAKE}, sort=[("processed_at", 1)]
        )
        last = await database["outbox"].find_one(
            {"type": RECEIVED, "sent_at": {"$ne": None}}, sort=[("sent_at", -1)]
        )
        requests = await database["requests"].count_documents({})
        stored, floor_seconds = await _store_floor([database, client[f"{prefix}keystore"]])
    finally:
        await client.drop_database(database.name)
        await client.drop_database(f"{prefix}keystore")
        await client.close()
    if first is None or last is None:
        return {"events_per_s": 0.0, "requests": float(requests), "published": float(sent)}
    seconds = (last["sent_at"] - first["processed_at"]).total_seconds()  # type: ignore[operator]
    return {
        "events_per_s": round(sent / max(seconds, 1e-6), 1),
        "requests": float(requests),
        "published": float(sent),
        "seconds": round(seconds, 2),
        "documents_per_event": round(sum(stored.values()) / max(count, 1), 1),
        "documents": stored,
        "store_floor_events_per_s": round(count / max(floor_seconds, 1e-6), 1),
    }


async def run(stack: Stack, *, events: int, timeout: float, workers: int) -> list[Figure]:
    """Produce, measure the baseline, then intake on the same records."""
    prefix = f"b{uuid.uuid4().hex[:8]}_"
    env = environment(stack, prefix=prefix)
    await ensure_topics(stack.kafka_bootstrap, {topics.PHONE_INTAKE}, partitions=6)
    phone_group = runtime_of("intake", env).settings.consumer_group(topics.PHONE_INTAKE)
    await commit_at_end(stack.kafka_bootstrap, group_id=phone_group, topic=topics.PHONE_INTAKE)
    starts = await _produce(stack.kafka_bootstrap, events, run=prefix.rstrip("_"))
    baseline = await _baseline(stack, starts, count=events)
    ours = await _ours(stack, prefix=prefix, count=events, timeout=timeout, workers=workers)
    floor = ours.pop("store_floor_events_per_s", None)
    figures = [
        Figure(
            scenario="1 intake pipeline",
            metric="phone events/s (stored and published)",
            ours=ours["events_per_s"],
            baseline=round(baseline, 1),
            unit="events/s",
            higher_is_better=True,
            target="reference",
            detail={"events": events, "consumer_workers": workers, **ours},
        )
    ]
    if floor:
        figures.append(
            Figure(
                scenario="1 intake pipeline",
                metric="phone events/s against raw insert_many of the same documents",
                ours=ours["events_per_s"],
                baseline=floor,
                unit="events/s",
                higher_is_better=True,
                target="≥ 0.5",
                detail={"documents_per_event": ours.get("documents_per_event")},
            )
        )
    return figures
