"""Audited reads: a listed page is audited per request, its records and events written in one
bulk write that commits with the read or not at all, and relayed without a round per read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from bson import ObjectId

from services.access.domain import ReadAudit
from services.access.handlers import SOURCE
from services.access.unit_of_work import MongoAccessUnitOfWork
from shared import topics
from shared.events import CloudEvent
from shared.events.access import RequestContentRead
from shared.tokens import KeyRing, issue_token
from tests.component.access.conftest import Access, bearer
from tests.support.apps import eventually

OUTBOX_FIELDS = {"_id", "event_id", "topic", "key", "type", "payload", "created_at", "sent_at"}


def requester_token(access: Access, contact_id: str) -> str:
    keys = KeyRing.parse(access.runtime.settings.token_signing_keys.get_secret_value())
    return issue_token(
        contact_id, "requester", keys=keys, now=datetime.now(UTC), lifetime=timedelta(hours=1)
    )


async def test_a_listed_page_is_audited_per_request_with_one_event_each(access: Access) -> None:
    requester = str(uuid4())
    email = f"page.{requester[:6]}@example.org"
    ids = {
        await access.receive_request(
            requester_id=requester, email=email, at=access.clock.now() - timedelta(minutes=n)
        )
        for n in range(3)
    }
    token = requester_token(access, requester)
    listed = await access.http.get("/requests", headers=bearer(token))
    assert listed.status_code == 200
    assert {r["request_id"] for r in listed.json()} == ids

    database = access.runtime.runner.database
    audits = await database["read_audit"].find({"reader_id": requester}).to_list()
    assert sorted(a["request_id"] for a in audits) == sorted(ids)
    assert {a["ground"] for a in audits} == {"requester"}
    outbox = await database["outbox"].find({"key": {"$in": sorted(ids)}}).to_list()
    read_events = [d for d in outbox if d["type"] == RequestContentRead.event_type]
    assert len(read_events) == 3
    for document in read_events:
        assert set(document) == OUTBOX_FIELDS  # the shape every relay round expects
        assert isinstance(document["_id"], ObjectId)
        assert document["topic"] == topics.ACCESS_AUDIT
    assert {json.loads(d["payload"])["data"]["audit_id"] for d in read_events} == {
        a["_id"] for a in audits
    }

    async def relayed() -> bool:
        found = await database["outbox"].find({"key": {"$in": sorted(ids)}}).to_list()
        return all(d["sent_at"] is not None for d in found)

    await eventually(relayed)


def _read(now: datetime) -> tuple[ReadAudit, CloudEvent]:
    audit = ReadAudit(
        audit_id=str(uuid4()),
        reader_id=str(uuid4()),
        reader_role="requester",
        request_id=str(uuid4()),
        ground="requester",
        read_at=now,
    )
    event = CloudEvent.of(
        source=SOURCE,
        type=RequestContentRead.event_type,
        subject=audit.request_id,
        time=now,
        data=RequestContentRead(
            audit_id=audit.audit_id,
            reader_id=audit.reader_id,
            reader_role=audit.reader_role,
            request_id=audit.request_id,
            ground=audit.ground,
            read_at=now,
        ),
    )
    return audit, event


@pytest.mark.parametrize("reads", [1, 3], ids=["one read, one bulk write", "a page"])
async def test_read_audits_and_their_events_commit_together_or_not_at_all(
    access: Access, reads: int
) -> None:
    pairs = [_read(access.clock.now()) for _ in range(reads)]
    audits, events = [a for a, _ in pairs], [e for _, e in pairs]
    runner = access.runtime.runner

    async def recorded() -> tuple[int, int]:
        database = runner.database
        found = await database["read_audit"].count_documents(
            {"_id": {"$in": [a.audit_id for a in audits]}}
        )
        staged = await database["outbox"].count_documents(
            {"event_id": {"$in": [str(e.id) for e in events]}}
        )
        return found, staged

    with pytest.raises(RuntimeError, match="before its answer"):
        async with runner.transaction() as tx:
            uow = MongoAccessUnitOfWork.in_transaction(tx)
            await uow.record_reads(audits, topic=topics.ACCESS_AUDIT, events=events)
            raise RuntimeError("the read failed before its answer")
    assert await recorded() == (0, 0)

    with pytest.raises(RuntimeError, match="inside a transaction"):
        await MongoAccessUnitOfWork(runner.database).record_reads(
            audits, topic=topics.ACCESS_AUDIT, events=events
        )

    async with runner.transaction() as tx:
        uow = MongoAccessUnitOfWork.in_transaction(tx)
        await uow.record_reads(audits, topic=topics.ACCESS_AUDIT, events=events)
    assert await recorded() == (reads, reads)
    staged = await runner.database["outbox"].find({"event_id": str(events[0].id)}).to_list()
    assert set(staged[0]) == OUTBOX_FIELDS
