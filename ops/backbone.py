"""Kafka and MongoDB for the CLI: publish events, reach the key store, check reachability."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Sequence
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError
from pymongo import AsyncMongoClient

from ops.output import ExitCode, OpsError
from ops.settings import OpsSettings
from shared.crypto import KeyWrapper, SealedPersonalData, seal
from shared.events import CloudEvent
from shared.events.intake import ContactDetails
from shared.keystore import MongoKeyStore
from shared.mongo import Document
from shared.scanner import SYSTEM_DATABASES

T = TypeVar("T")


async def bounded(work: Awaitable[T], *, what: str, seconds: float) -> T:
    """The work's result, or OpsError(UNREACHABLE) naming what did not answer in time."""
    try:
        return await asyncio.wait_for(work, timeout=seconds)
    except (TimeoutError, OSError, KafkaConnectionError) as error:
        raise OpsError(
            f"{what} did not answer ({type(error).__name__})", code=ExitCode.UNREACHABLE
        ) from None


async def publish(bootstrap: str, events: Sequence[tuple[str, CloudEvent]]) -> None:
    """Publish each event on its topic, keyed by its subject, acknowledged by all replicas."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", request_timeout_ms=15_000
    )
    await bounded(producer.start(), what=f"Kafka at {bootstrap}", seconds=20)
    try:
        for topic, event in events:
            await bounded(
                producer.send_and_wait(
                    topic,
                    event.to_bytes(),
                    key=event.subject.encode(),
                    headers=[("content-type", b"application/cloudevents+json")],
                ),
                what=f"Kafka at {bootstrap}",
                seconds=30,
            )
    finally:
        await producer.stop()


@contextlib.asynccontextmanager
async def key_store(settings: OpsSettings) -> AsyncIterator[MongoKeyStore]:
    """The data-key store the services share, to seal contact details the way they do."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(
        settings.mongodb_url, serverSelectionTimeoutMS=5_000
    )
    try:
        yield MongoKeyStore(
            client,
            database_name=settings.keystore_database_name,
            wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
        )
    finally:
        await client.close()


class ContactSealer:
    """Seals plain contact details with the contact's own key (created on first use)."""

    def __init__(self, keys: MongoKeyStore) -> None:
        self._keys = keys

    async def __call__(self, details: ContactDetails, contact_id: str) -> SealedPersonalData:
        try:
            return await seal(details, data_subject_id=contact_id, keys=self._keys)
        except Exception as error:  # the store is unreachable or the KEK wrong: say which
            raise OpsError(
                f"the key store did not seal the details ({type(error).__name__})",
                code=ExitCode.UNREACHABLE,
            ) from None


async def kafka_problem(bootstrap: str) -> str | None:
    """None if Kafka answers a metadata request, else why not."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5_000)
    try:
        await asyncio.wait_for(admin.start(), timeout=8)
        await asyncio.wait_for(admin.list_topics(), timeout=8)
    except Exception as error:  # any failure is the answer: not reachable
        return type(error).__name__
    finally:
        with contextlib.suppress(Exception):
            await admin.close()
    return None


async def mongodb_problem(url: str) -> str | None:
    """None if MongoDB answers a ping, else why not."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(url, serverSelectionTimeoutMS=5_000)
    try:
        await client.admin.command("ping")
    except Exception as error:  # any failure is the answer: not reachable
        return type(error).__name__
    finally:
        await client.close()
    return None


async def database_names(url: str) -> list[str]:
    """Every non-system database."""
    client: AsyncMongoClient[Document] = AsyncMongoClient(url, serverSelectionTimeoutMS=5_000)
    try:
        names = await bounded(client.list_database_names(), what="MongoDB", seconds=15)
    finally:
        await client.close()
    return sorted(n for n in names if n not in SYSTEM_DATABASES)
