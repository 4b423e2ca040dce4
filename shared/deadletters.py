"""Inspect and replay dead letters.

    python -m shared.deadletters list   --kafka HOST:PORT support.requests
    python -m shared.deadletters replay --kafka HOST:PORT support.requests

`list` prints each dead letter's position, reason and origin (never its value: it may hold
personal data). `replay` republishes dead letters not replayed before onto their original topic,
unchanged (fix the consumer or the producer first); the consumer group `dead-letter-replay`
remembers how far replay got, so running it twice does not replay twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from shared.topics import dead_letter_topic

REPLAY_GROUP = "dead-letter-replay"


@dataclass(frozen=True)
class DeadLetterInfo:
    partition: int
    offset: int
    headers: dict[str, str]
    size: int


def _info(record: ConsumerRecord) -> DeadLetterInfo:
    headers = {key: value.decode(errors="replace") for key, value in record.headers or ()}
    return DeadLetterInfo(record.partition, record.offset, headers, len(record.value or b""))


async def _drain(consumer: AIOKafkaConsumer, topic: str) -> list[ConsumerRecord]:
    """Every record from the consumer's position to the current end of the topic."""
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
    end = await consumer.end_offsets(partitions)
    records = []
    remaining = {tp for tp in partitions if await consumer.position(tp) < end[tp]}
    while remaining:
        for _tp, batch in (await consumer.getmany(*remaining, timeout_ms=1000)).items():
            records.extend(batch)
        remaining = {tp for tp in remaining if await consumer.position(tp) < end[tp]}
    return records


async def list_dead_letters(bootstrap_servers: str, topic: str) -> list[DeadLetterInfo]:
    letters = dead_letter_topic(topic)
    consumer = AIOKafkaConsumer(
        letters,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + 1.0  # no topic: no assignment
        while not consumer.assignment() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)  # no group: assigned as soon as the metadata is in
        await consumer.seek_to_beginning()
        return [_info(record) for record in await _drain(consumer, letters)]
    finally:
        await consumer.stop()


async def replay_dead_letters(
    bootstrap_servers: str, topic: str, *, on_replayed: Callable[[int, int], None] | None = None
) -> int:
    """Republish dead letters not replayed yet; return how many were replayed.

    `on_replayed(done, total)` is called after each one (for a progress bar)."""
    consumer = AIOKafkaConsumer(
        dead_letter_topic(topic),
        bootstrap_servers=bootstrap_servers,
        group_id=REPLAY_GROUP,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, enable_idempotence=True, acks="all"
    )
    await consumer.start()
    await producer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=200)
        records = await _drain(consumer, dead_letter_topic(topic))
        for done, record in enumerate(records, start=1):
            headers = [(k, v) for k, v in record.headers or () if not k.startswith("dlq-")]
            headers.append(("dlq-replayed-from", f"{record.partition}:{record.offset}".encode()))
            await producer.send_and_wait(topic, record.value, key=record.key, headers=headers)
            if on_replayed is not None:
                on_replayed(done, len(records))
        if records:
            await consumer.commit()
        return len(records)
    finally:
        await producer.stop()
        await consumer.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.deadletters")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("topic", help="the consumed topic whose dead letters to use")
    parser.add_argument("--kafka", default="127.0.0.1:9092", help="bootstrap servers")
    arguments = parser.parse_args(argv)
    if arguments.command == "list":
        letters = asyncio.run(list_dead_letters(arguments.kafka, arguments.topic))
        for letter in letters:
            print(json.dumps(letter.__dict__))
        print(f"{len(letters)} dead letter(s) on {dead_letter_topic(arguments.topic)}")
    else:
        count = asyncio.run(replay_dead_letters(arguments.kafka, arguments.topic))
        print(f"replayed {count} dead letter(s) onto {arguments.topic}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
