"""Component fixtures: a raw Kafka producer and settings for an in-process service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from shared.mongo import Document, TransactionRunner
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


@pytest.fixture
async def scratch_runner(infrastructure: Infrastructure) -> AsyncIterator[TransactionRunner]:
    """Transactions on a database of the test's own, dropped after it."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(infrastructure.mongodb_url, tz_aware=True)
    runner = TransactionRunner(client, f"scratch_{uuid4().hex[:10]}")
    try:
        yield runner
    finally:
        await client.drop_database(runner.database.name)
        await client.close()
