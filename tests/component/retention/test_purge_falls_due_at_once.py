"""A contract terminated longer ago than the retention period (the CRM's event arrives late,
or the period was shortened): the organisation's purge starts when the termination is read,
not at the scheduler's next interval (up to a minute in production)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.clock import FixedClock
from tests.support.apps import eventually
from tests.support.retention import STAFF, contract_terminated, publish


@pytest.fixture
def retention_extra() -> dict[str, Any]:
    return {"RETENTION_SCHEDULER_SECONDS": 3600}  # only a wake-up can start it in time


async def test_a_termination_already_past_its_retention_starts_the_purge_at_once(
    http: httpx.AsyncClient, producer: AIOKafkaProducer, clock: FixedClock
) -> None:
    assert (await http.get("/retention/status", headers=STAFF)).json()["purges_running"] == 0
    organisation = f"org-late-{uuid4().hex[:6]}"
    ended = (clock.now() - timedelta(days=400)).date()
    event = contract_terminated(organisation, termination_date=ended, terminated_at=clock.now())
    await publish(producer, topics.CRM_CONTRACTS, event)

    async def running() -> dict[str, Any] | None:
        # the status counts the purges and the overdue organisations in separate reads, so one
        # answer can see the purge started and the organisation still overdue: asked again
        status: dict[str, Any] = (await http.get("/retention/status", headers=STAFF)).json()
        return status if (status["purges_running"], status["overdue"]) == (1, 0) else None

    await eventually(running, timeout=10)
