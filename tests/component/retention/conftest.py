"""Fixtures for retention's component tests: the service in-process on a controlled clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.retention.app import create_app
from shared.clock import FixedClock
from tests.support.apps import running
from tests.support.infrastructure import Infrastructure
from tests.support.retention import retention_settings, skip_history


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def retention_extra() -> dict[str, Any]:
    """Extra settings a test module may override."""
    return {}


@pytest.fixture
async def retention_app(
    infrastructure: Infrastructure,
    instance_prefix: str,
    clock: FixedClock,
    retention_extra: dict[str, Any],
) -> FastAPI:
    await skip_history(infrastructure.kafka_bootstrap, group_prefix=f"{instance_prefix}retention")
    return create_app(
        retention_settings(infrastructure, instance_prefix, **retention_extra), clock=clock
    )


@pytest.fixture
async def http(retention_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(retention_app) as client:
        yield client
