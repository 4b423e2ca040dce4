"""Kafka: the FastStream broker factory, topic creation, subscriptions and dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.message import StreamMessage
from prometheus_client import CollectorRegistry

from shared.consumer import DeadLetter, EventConsumer, Record
from shared.settings import ServiceSettings
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)


def create_broker(settings: ServiceSettings, registry: CollectorRegistry) -> KafkaBroker:
    """A broker whose producer is idempotent with acks=all; it connects only when started."""
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=settings.service_name,
        enable_idempotence=True,
        acks="all",
        request_timeout_ms=15_000,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=settings.service_name)],
        logger=logging.getLogger(f"{settings.service_name}.broker"),
    )


async def ensure_topics(bootstrap_servers: str, names: Iterable[str], *, partitions: int) -> None:
    """Create the topics (and nothing else) that do not exist yet."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=1)
            for name in sorted(set(names))
            if name not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


async def configure_topics(bootstrap_servers: str, configs: dict[str, dict[str, str]]) -> None:
    """Set topic-level configs (e.g. `retention.ms` of a topic that carries clear text)."""
    if not configs:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10_000)
    await admin.start()
    try:
        await admin.alter_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, topic, config)
                for topic, config in sorted(configs.items())
            ]
        )
    finally:
        await admin.close()


class KafkaPublisher:
    """Publishes bytes keyed by aggregate id, waiting for the broker's acknowledgement."""

    def __init__(self, broker: KafkaBroker, *, service: str) -> None:
        self._broker = broker
        self._service = service

    async def publish(self, topic: str, key: bytes, value: bytes) -> None:
        await self._broker.publish(
            value,
            topic=topic,
            key=key,
            headers={"content-type": "application/cloudevents+json"},
        )

    async def publish_batch(self, records: list[tuple[str, bytes, bytes]]) -> None:
        """Hand every record to the producer first, then wait for all acknowledgements."""
        pending = [
            await self._broker.publish(
                value,
                topic=topic,
                key=key,
                headers={"content-type": "application/cloudevents+json"},
                no_confirm=True,
            )
            for topic, key, value in records
        ]
        await asyncio.gather(*pending)

    async def send_dead_letter(self, letter: DeadLetter) -> None:
        """Copy the record to `<topic>.dlq` with headers naming the error and where it came from."""
        record = letter.record
        await self._broker.publish(
            record.value,
            topic=dead_letter_topic(record.topic),
            key=record.key,
            headers={
                "dlq-reason": letter.reason[:500],
                "dlq-error-type": letter.error_type,
                "dlq-original-topic": record.topic,
                "dlq-original-partition": str(record.partition),
                "dlq-original-offset": str(record.offset),
                "dlq-consumer": self._service,
                "dlq-failed-at": datetime.now(UTC).isoformat(),
            },
        )


async def _undecoded(message: StreamMessage[Any]) -> bytes:
    """The record's bytes as they came: parsing (and dead-lettering) them is the consumer's job, so
    FastStream's own JSON decoding, which can raise before the handler runs, is skipped."""
    return message.body


def subscribe(
    broker: KafkaBroker,
    consumer: EventConsumer,
    *,
    group_id: str,
    workers: int = 1,
    batch_size: int = 1,
    shared_transaction: bool = False,
    batch_wait_ms: int = 50,
    session_timeout_ms: int = 10_000,
    fetch_max_wait_ms: int = 500,
) -> None:
    """Feed a topic to a consumer; an offset is committed only after its record is handled.
    With `workers` > 1, that many group members split the partitions and run concurrently, one
    record at a time. Otherwise up to `batch_size` fetched records are taken together and their
    offsets committed once, after all are handled: in one transaction (`handle_batch`) when
    `shared_transaction`, else one transaction each (`handle_each`). It waits `batch_wait_ms`
    for records, and as long again when none came."""
    name = f"consume_{consumer.topic.replace('.', '_')}"
    options: dict[str, Any] = {
        "group_id": group_id,
        "auto_offset_reset": "earliest",
        "ack_policy": AckPolicy.ACK,
        "max_workers": workers,
        "decoder": _undecoded,
        "title": f"{group_id}:{consumer.topic}",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": session_timeout_ms // 3,
        "fetch_max_wait_ms": fetch_max_wait_ms,
    }
    if batch_size > 1 and (workers == 1 or shared_transaction):
        # FastStream runs a batch subscriber as one consumer (no max_workers)
        del options["max_workers"]
        handle = consumer.handle_batch if shared_transaction else consumer.handle_each

        async def on_records(message: KafkaMessage) -> None:
            records = cast("tuple[ConsumerRecord[bytes, bytes], ...]", message.raw_message)
            await handle([_record(one) for one in records])

        on_records.__name__ = name
        broker.subscriber(
            consumer.topic,
            batch=True,
            max_records=batch_size,
            batch_timeout_ms=batch_wait_ms,
            **options,
        )(on_records)
        return

    async def on_record(message: KafkaMessage) -> None:
        record = cast("ConsumerRecord[bytes, bytes]", message.raw_message)  # not a batch
        await consumer.handle(_record(record))

    on_record.__name__ = name
    broker.subscriber(consumer.topic, **options)(on_record)


def _record(raw: ConsumerRecord[bytes, bytes]) -> Record:
    return Record(
        topic=raw.topic,
        partition=raw.partition,
        offset=raw.offset,
        key=raw.key,
        value=raw.value or b"",
    )
