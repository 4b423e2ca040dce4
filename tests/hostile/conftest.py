"""Fixtures for hostile input: any of the four services in-process against the real infrastructure."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from services.catalogue import CATALOGUE
from tests.support.apps import running
from tests.support.infrastructure import Infrastructure

STAFF_TOKEN = "hostile-suite-staff-token"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}

Started = Callable[..., AbstractAsyncContextManager[tuple[FastAPI, httpx.AsyncClient]]]


@pytest.fixture
def start_service(
    infra_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, mail_sink: Any
) -> Started:
    """Start a service by name in-process (staff token set, SMTP on a free port, mail to a sink)."""

    @asynccontextmanager
    async def start(
        name: str, **extra_env: str
    ) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
        from deploy.local.ports import free_port

        environment = {
            **infra_env,
            "STAFF_TOKEN": STAFF_TOKEN,
            "SMTP_RELAY_PORT": str(mail_sink.port),
            "INTAKE_SMTP_PORT": str(free_port()),
            **extra_env,
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        app = CATALOGUE[name].create_app()
        async with running(app) as http:
            yield app, http

    return start


@pytest.fixture
async def producer(infrastructure: Infrastructure) -> AsyncIterator[AIOKafkaProducer]:
    producer = AIOKafkaProducer(
        bootstrap_servers=infrastructure.kafka_bootstrap,
        acks="all",
        max_request_size=2 * 1024 * 1024,
    )
    await producer.start()
    yield producer
    await producer.stop()
