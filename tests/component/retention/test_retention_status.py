"""GET /retention/status on real Kafka and storage: what is due soon, held back and next due,
with ids and times only, for support staff only."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer

from shared import topics
from shared.clock import FixedClock
from tests.support.apps import eventually
from tests.support.retention import STAFF, contract_terminated, publish


async def test_status_counts_due_soon_held_back_and_lists_the_next_due(
    http: httpx.AsyncClient, producer: AIOKafkaProducer, clock: FixedClock
) -> None:
    later, soon, past = (f"org-{name}-{uuid4().hex[:6]}" for name in ("later", "soon", "past"))
    held = await http.post(
        "/retention/legal-holds",
        headers=STAFF,
        json={
            "scope": {"kind": "organisation", "id": past},
            "reason": "contractual_dispute",
            "case_reference": "CASE-STATUS",
        },
    )
    assert held.status_code == 201, held.text
    for organisation, days_ago in ((later, 10), (soon, 350), (past, 400)):
        ended = (clock.now() - timedelta(days=days_ago)).date()
        event = contract_terminated(organisation, termination_date=ended, terminated_at=clock.now())
        await publish(producer, topics.CRM_CONTRACTS, event)

    async def all_three() -> dict[str, object] | None:
        # the overview's counts and its list are separate reads: an answer given while the
        # third termination was being recorded lists it without counting it yet
        answer = (await http.get("/retention/status", headers=STAFF)).json()
        counted = answer["due_next_30_days"] + answer["held_back"] + answer["overdue"]
        return answer if len(answer["next_due"]) == 3 and counted >= 2 else None

    status = await eventually(all_three)
    assert status["due_next_30_days"] == 1
    assert status["held_back"] == 1
    assert status["overdue"] == 0
    assert status["legal_holds_active"] == 1
    assert status["purges_running"] == 0
    assert [(i["id"], i["held"]) for i in status["next_due"]] == [  # type: ignore[attr-defined]
        (past, True),
        (soon, False),
        (later, False),
    ]
    assert set(status["next_due"][0]) == {"kind", "id", "purge_due_at", "held"}  # type: ignore[index]

    first = (await http.get("/retention/status?limit=1", headers=STAFF)).json()
    assert [i["id"] for i in first["next_due"]] == [past]
    assert (await http.get("/retention/status")).status_code == 401
