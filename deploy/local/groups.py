"""Consumer-group offsets for local runs (tests, benchmarks): start a group where a topic ends."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata


async def topic_partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    """A topic's partitions as the broker describes them (a fresh consumer's metadata cache
    may not know the topic yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, p["partition"]) for p in described["partitions"]]


async def commit_at_end(
    bootstrap: str, *, group_id: str, topic: str, at: dict[TopicPartition, int] | None = None
) -> dict[TopicPartition, int]:
    """Start a consumer group at the current end of a topic (it will see only what comes next),
    or at the offsets `at` (an earlier end); the offsets committed. The partitions come from the
    broker, so the commit is never silently skipped."""
    partitions = await topic_partitions(bootstrap, topic)
    if not partitions:
        return {}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(partitions)
        ends = at if at is not None else dict(await consumer.end_offsets(partitions))
        await consumer.commit({tp: OffsetAndMetadata(ends[tp], "") for tp in partitions})
        return ends
    finally:
        await consumer.stop()
