"""A person's erasure is asked of the participants in the transaction that records it, on the
real store: the erasure request is in the outbox when the caller gets the erasure's id, and no
pass of the scheduler stands between them (with 10 erasures in flight, each had cost a whole
pass: the due purges, the held erasures, the holds, the purges pending and waiting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from services.retention.held_erasures import start_person_erasure
from services.retention.unit_of_work import RetentionStores
from shared import topics
from shared.events import parse_event
from shared.events.privacy import ErasureRequested
from shared.mongo import TransactionRunner


async def test_a_persons_erasure_is_asked_as_it_is_recorded(
    scratch_runner: TransactionRunner,
) -> None:
    committed: list[bool] = []
    stores = RetentionStores(scratch_runner, lambda: committed.append(True))
    person = f"person-{uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)  # as the store keeps it: milliseconds
    decision = await start_person_erasure(
        person,
        ground="data_subject_request",
        stores=stores,
        now=now,
        within=timedelta(days=30),
    )
    assert decision.erasure_id is not None
    purge = await stores.reads().purges.get(decision.erasure_id)
    assert purge is not None
    assert (purge.state, purge.asked_at) == ("erasure_requested", now)
    staged = await scratch_runner.database["outbox"].find({"sent_at": None}).to_list()
    assert [(d["topic"], d["type"]) for d in staged] == [
        (topics.PRIVACY_ERASURE, ErasureRequested.event_type)
    ]
    requested = ErasureRequested.from_event(parse_event(staged[0]["payload"].encode()))
    assert (requested.erasure_id, requested.scope.kind, requested.scope.id) == (
        decision.erasure_id,
        "person",
        person,
    )
    assert committed  # the relay was woken for it
