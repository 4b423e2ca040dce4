"""Component fixtures: a raw Kafka producer and settings for an in-process service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from shared.settings import ServiceSettings
from tests.support.infrastructure import Infrastructure


@pytest.fixture
async def producer(infrastructure: Infrastructure) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap, enable_idempotence=True, acks="all"
    )
    await producer.start()
    yield producer
    await producer.stop()


@pytest.fixture
def settings(infrastructure: Infrastructure, instance_prefix: str) -> ServiceSettings:
    return ServiceSettings(
        service_name="backbone",
        instance_prefix=instance_prefix,
        kafka_bootstrap_servers=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        outbox_poll_seconds=0.2,
        kafka_session_timeout_ms=int(infrastructure.session_timeout_ms),
        retry_max_backoff_seconds=1.0,
    )
