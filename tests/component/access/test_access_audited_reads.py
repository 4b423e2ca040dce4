"""Audited reads: a read (a request's detail, or a listed page) is one audit record naming every
request it returned with its ground, with its event staged in the same document, so the two are
written together or not at all; the audit's own relay publishes it and the record is kept."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from services.access.audit_log import AUDIT, MongoAuditLog, upgrade_read_audits
from services.access.domain import ReadAudit, RequestRead
from services.access.reads import read_event
from services.access.unit_of_work import MongoAccessUnitOfWork
from shared import topics
from shared.events import CloudEvent
from shared.events.access import RequestContentRead
from tests.component.access.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    Access,
    bearer,
    requester_token,
)
from tests.support.apps import eventually

OUTBOX_FIELDS = {"event_id", "topic", "key", "type", "payload", "created_at", "sent_at"}
AUDIT_FIELDS = {"_id", "reader_id", "reader_role", "read_at", "requests"}


async def test_a_listed_page_is_one_audit_naming_every_request_and_one_event(
    access: Access,
) -> None:
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
    [audit] = await database[AUDIT].find({"reader_id": requester}).to_list()
    assert sorted(r["request_id"] for r in audit["requests"]) == sorted(ids)
    assert {r["ground"] for r in audit["requests"]} == {"requester"}
    assert set(audit) == AUDIT_FIELDS | OUTBOX_FIELDS  # the record is its event's outbox entry
    assert await database["outbox"].count_documents({"key": audit["_id"]}) == 0
    assert audit["key"] == audit["_id"] and audit["topic"] == topics.ACCESS_AUDIT
    assert audit["type"] == RequestContentRead.event_type
    event = json.loads(audit["payload"])["data"]
    assert event["audit_id"] == audit["_id"]
    assert sorted(r["request_id"] for r in event["requests"]) == sorted(ids)

    # the trail of one request: a row for it alone, from the page's one record
    admin = await access.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    one = sorted(ids)[0]
    trail = await access.http.get("/audit", params={"request_id": one}, headers=bearer(admin))
    assert [(r["audit_id"], r["request_id"], r["ground"]) for r in trail.json()] == [
        (audit["_id"], one, "requester")
    ]

    async def relayed() -> bool:
        found = await database[AUDIT].find_one({"_id": audit["_id"]})
        return found is not None and found["sent_at"] is not None

    await eventually(relayed)  # published, and the record kept: no expiry on the audit
    indexes = await database[AUDIT].index_information()
    assert not any("expireAfterSeconds" in index for index in indexes.values())


async def test_a_read_that_returned_nothing_is_not_audited(access: Access) -> None:
    reader = str(uuid4())
    listed = await access.http.get("/requests", headers=bearer(requester_token(access, reader)))
    assert listed.status_code == 200 and listed.json() == []
    database = access.runtime.runner.database
    assert await database[AUDIT].count_documents({"reader_id": reader}) == 0


def _read(now: datetime, requests: int) -> tuple[ReadAudit, CloudEvent]:
    audit = ReadAudit(
        audit_id=str(uuid4()),
        reader_id=str(uuid4()),
        reader_role="requester",
        read_at=now,
        requests=tuple(
            RequestRead(request_id=str(uuid4()), ground="requester") for _ in range(requests)
        ),
    )
    return audit, read_event(audit)


@pytest.mark.parametrize("requests", [1, 3], ids=["a detail", "a page"])
async def test_a_read_audit_and_its_event_are_one_document_written_or_not(
    access: Access, requests: int
) -> None:
    now = access.clock.now()
    audit, event = _read(now.replace(microsecond=now.microsecond // 1000 * 1000), requests)
    runner = access.runtime.runner

    async def recorded() -> list[dict[str, object]]:
        return await runner.database[AUDIT].find({"_id": audit.audit_id}).to_list()

    with pytest.raises(RuntimeError, match="before its answer"):
        async with runner.transaction() as tx:
            uow = MongoAccessUnitOfWork.in_transaction(tx)
            await uow.record_read(audit, topic=topics.ACCESS_AUDIT, event=event)
            raise RuntimeError("the read failed before its answer")
    assert await recorded() == []

    # an audited read runs outside a transaction: its one insert is the whole write
    await MongoAccessUnitOfWork(runner.database).record_read(
        audit, topic=topics.ACCESS_AUDIT, event=event
    )
    [stored] = await recorded()
    assert stored["event_id"] == str(event.id) and stored["sent_at"] is None
    assert CloudEvent.model_validate_json(str(stored["payload"])) == event
    [found] = await MongoAuditLog(runner.database).query(
        request_id=None, reader_id=audit.reader_id, limit=10
    )
    assert found == audit


async def test_audits_stored_one_per_request_are_upgraded_and_still_found(
    access: Access,
) -> None:
    """Before v2 of the read event an audit was stored per request; start-up rewrites them as
    a read of that one request, so a request's trail keeps its history."""
    database = access.runtime.runner.database
    request_id, reader_id = str(uuid4()), str(uuid4())
    old = {
        "_id": str(uuid4()),
        "reader_id": reader_id,
        "reader_role": "colleague",
        "request_id": request_id,
        "ground": "share_grant",
        "read_at": access.clock.now(),
        "grant_id": "grant-1",
        "organisation_id": None,
    }
    await database[AUDIT].create_index([("request_id", 1), ("read_at", -1)])  # v1's index
    await database[AUDIT].insert_one(old)
    assert await upgrade_read_audits(database) == 1
    assert await upgrade_read_audits(database) == 0
    upgraded = await database[AUDIT].find_one({"_id": old["_id"]})
    assert upgraded is not None and upgraded["sent_at"] is not None  # its v1 event went out
    [found] = await MongoAuditLog(database).query(request_id=request_id, reader_id=None, limit=5)
    assert found.audit_id == old["_id"]
    assert found.requests == (
        RequestRead(request_id=request_id, ground="share_grant", grant_id="grant-1"),
    )
