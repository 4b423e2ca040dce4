"""Read a whole topic, from offset 0 to its current end."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from deploy.local.groups import topic_partitions
from shared import topics
from shared.events import CloudEvent, EventSchemaError, data_model_for, parse_event
from shared.events.privacy import ErasureCompleted


async def read_topic(bootstrap: str, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    partitions = await topic_partitions(bootstrap, topic)
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        remaining = {tp for tp in partitions if end[tp] > 0}
        while remaining:
            for batch in (await consumer.getmany(*remaining, timeout_ms=1000)).values():
                records.extend(batch)
            remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
        return records
    finally:
        await consumer.stop()


async def read_events(
    bootstrap: str, topic: str, *, since: dict[int, int] | None = None
) -> list[CloudEvent]:
    """Every valid CloudEvent on a topic (from the offsets `since`, by partition), passing over
    the records that are none or whose data does not match their type (other tests put hostile
    records on the shared topics)."""
    found = []
    for record in await read_topic(bootstrap, topic):
        if since and record.offset < since.get(record.partition, 0):
            continue
        try:
            event = parse_event(record.value or b"")
            data_model_for(event.type).from_event(event)
        except (EventSchemaError, KeyError):
            continue
        found.append(event)
    return found


async def left_on_first_answer(
    bootstrap: str, *, erasure_id: str | None = None, since: dict[int, int] | None = None
) -> list[tuple[str, dict[str, int]]]:
    """The erasure participants (of this erasure, or of any since these offsets) that counted
    something left after their own deletes. Retention asks such a participant again once it is
    late (600 s by default, a few seconds in the tests), so a certificate alone would not show
    that it ever happened."""
    left = []
    for event in await read_events(bootstrap, topics.PRIVACY_ERASURE, since=since):
        if event.type != ErasureCompleted.event_type:
            continue
        completed = ErasureCompleted.from_event(event)
        found = {name: n for name, n in (completed.remaining or {}).items() if n}
        if found and erasure_id in (None, completed.erasure_id):
            left.append((completed.participant, found))
    return left
