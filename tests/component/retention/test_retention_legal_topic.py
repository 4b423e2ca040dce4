"""The legal system's contract on `legal.holds`: holds placed and released by events, and a
malformed event dead-lettered with the field and rule named."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.clock import FixedClock
from shared.events import CloudEvent
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased, LegalHoldScope
from shared.topics import dead_letter_topic
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic
from tests.support.retention import STAFF, publish


async def test_holds_from_the_legal_topic_are_placed_released_and_bad_ones_dead_lettered(
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    hold_id = f"hold-{uuid4().hex[:8]}"
    placed = LegalHoldPlaced(
        hold_id=hold_id,
        scope=LegalHoldScope(kind="person", id="person-1"),
        reason="legal_obligation",
        case_reference="CASE-77",
        placed_by="legal-system",
        placed_at=clock.now(),
        expires_at=clock.now() + timedelta(days=90),
    )
    await publish(
        producer,
        topics.LEGAL_HOLDS,
        CloudEvent.of(
            source="/legal", type=placed.event_type, subject=hold_id, time=clock.now(), data=placed
        ),
    )

    async def hold_state() -> dict[str, object] | None:
        holds = (await http.get("/retention/legal-holds", headers=STAFF)).json()
        return next((h for h in holds if h["hold_id"] == hold_id), None)

    found = await eventually(hold_state)
    assert found["active"] is True and found["scope_kind"] == "person"

    released = LegalHoldReleased(
        hold_id=hold_id, released_by="legal-system", released_at=clock.now()
    )
    await publish(
        producer,
        topics.LEGAL_HOLDS,
        CloudEvent.of(
            source="/legal",
            type=released.event_type,
            subject=hold_id,
            time=clock.now(),
            data=released,
        ),
    )

    async def inactive() -> bool:
        state = await hold_state()
        return state is not None and state["active"] is False

    await eventually(inactive)

    bad = CloudEvent(
        source="/legal",
        type=LegalHoldPlaced.event_type,
        subject="hold-bad",
        time=clock.now(),
        data={**placed.model_dump(mode="json"), "hold_id": "hold-bad", "reason": "because"},
    )
    await publish(producer, topics.LEGAL_HOLDS, bad)

    async def dead_lettered() -> str | None:
        for record in await read_topic(
            infrastructure.kafka_bootstrap, dead_letter_topic(topics.LEGAL_HOLDS)
        ):
            if json.loads(record.value or b"{}").get("id") == str(bad.id):
                return dict(record.headers)["dlq-reason"].decode()
        return None

    reason = await eventually(dead_lettered)
    assert "reason" in reason and "literal_error" in reason
    assert await _absent(http, "hold-bad")


async def _absent(http: httpx.AsyncClient, hold_id: str) -> bool:
    holds = (await http.get("/retention/legal-holds", headers=STAFF)).json()
    return all(h["hold_id"] != hold_id for h in holds)


def test_the_legal_contract_documents_its_schema_with_a_valid_example() -> None:
    for model in (LegalHoldPlaced, LegalHoldReleased):
        schema = model.model_json_schema()
        [example] = schema["examples"]
        assert model.model_validate(example)
        assert set(schema["required"]) <= set(example)
