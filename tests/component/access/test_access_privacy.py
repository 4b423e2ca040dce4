"""access's part in erasure and export (P11), through real Kafka and storage."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import pytest

from services.access.privacy import AccessExport
from shared import topics
from shared.crypto import unseal
from shared.events import CloudEvent
from shared.events.privacy import ErasureRequested, ErasureScope, ExportContributed, ExportRequested
from tests.component.access.conftest import STAFF, Access, bearer
from tests.component.access.scenario import png
from tests.support.apps import eventually
from tests.support.kafka import read_topic


async def _completion(access: Access, erasure_id: str) -> dict[str, object]:
    async def found() -> dict[str, object] | None:
        records = await read_topic(
            access.runtime.settings.kafka_bootstrap_servers, topics.PRIVACY_ERASURE
        )
        for record in records:
            event = json.loads(record.value)
            if (
                event["type"] == "privacy.erasure.completed.v1"
                and event["data"]["erasure_id"] == erasure_id
            ):
                data: dict[str, object] = event["data"]
                return data
        return None

    return await eventually(found)


def _erasure_requested(
    access: Access, kind: str, scope_id: str, keep: tuple[str, ...] = ()
) -> ErasureRequested:
    now = access.clock.now()
    return ErasureRequested(
        erasure_id=str(uuid4()),
        scope=ErasureScope(kind=kind, id=scope_id, keep_request_ids=keep),  # type: ignore[arg-type]
        ground="data_subject_request",
        requested_at=now,
        deadline=now + timedelta(days=30),
    )


async def _erase(
    access: Access, kind: str, scope_id: str, keep: tuple[str, ...] = ()
) -> dict[str, object]:
    requested = _erasure_requested(access, kind, scope_id, keep)
    await access.publish(requested, subject=requested.erasure_id)
    return await _completion(access, requested.erasure_id)


async def test_person_erasure_deletes_account_copies_and_grants_but_keeps_what_is_held(
    access: Access,
) -> None:
    org = f"org-{uuid4().hex[:8]}"
    person = str(uuid4())
    email = f"erase.{person[:6]}@example.org"
    t0 = access.clock.now() - timedelta(hours=5)
    await access.sign_contract(org, contacts={person: email}, official=person, at=t0)
    token = await access.activate(email)
    await access.http.put(
        "/me/picture", headers={**bearer(token), "Content-Type": "image/png"}, content=png()
    )
    kept = await access.receive_request(
        requester_id=person, email=email, at=t0 + timedelta(hours=1)
    )
    gone = await access.receive_request(  # before the contract: their own
        requester_id=person, email=email, at=t0 - timedelta(hours=2)
    )
    customers = await access.receive_request(  # the customer's, which retention did not list
        requester_id=person, email=email, at=t0 + timedelta(hours=2)
    )
    other = await access.receive_request(
        requester_id=str(uuid4()), email="someone@example.org", at=t0 + timedelta(hours=2)
    )

    completed = await _erase(access, "person", person, keep=(kept,))
    assert completed["participant"] == "access"
    assert completed["counts"] == {
        "accounts": 1,
        "mails": 0,
        "messages": 0,  # written on others' requests (tests/unit/policy/test_correspondents.py)
        "representatives": 1,
        "request_views": 1,
        "share_grants": 0,
    }
    assert completed["data_subject_ids"] == [person]
    assert {"records": "requests", "count": 1, "ground": "customer_records"} in completed["kept"]
    # nothing left on the first ask: a late re-ask would hold the certificate back for minutes
    assert completed["remaining"] == dict.fromkeys(
        ("accounts", "messages", "representatives", "request_views", "share_grants"), 0
    )
    assert await access.document("accounts", {"_id": person}) is None
    assert await access.document("representatives", {"contact_id": person}) is None
    assert await access.document("request_views", {"_id": gone}) is None
    assert await access.document("request_views", {"_id": kept}) is not None
    assert await access.document("request_views", {"_id": customers}) is not None
    assert await access.document("request_views", {"_id": other}) is not None
    login = await access.http.post(
        "/login", json={"email": email, "password": "a-long-enough-password"}
    )
    assert login.status_code == 401


async def test_organisation_and_request_erasure(access: Access) -> None:
    org = f"org-{uuid4().hex[:8]}"
    rep = str(uuid4())
    email = f"org.{rep[:6]}@example.org"
    t0 = access.clock.now() - timedelta(hours=5)
    await access.sign_contract(org, contacts={rep: email}, official=rep, at=t0)
    first = await access.receive_request(requester_id=rep, email=email, at=t0 + timedelta(hours=1))
    held = await access.receive_request(requester_id=rep, email=email, at=t0 + timedelta(hours=2))
    single = await access.receive_request(
        requester_id=str(uuid4()), email="single@example.org", at=t0
    )

    async def assigned() -> bool:
        views = [await access.document("request_views", {"_id": i}) for i in (first, held)]
        return all(v and v["organisation_id"] == org for v in views)

    await eventually(assigned)  # the contract was applied before the erasure arrives
    completed = await _erase(access, "organisation", org, keep=(held,))
    assert completed["counts"] == {
        "organisation_records": 2,
        "request_views": 1,
        "share_grants": 0,
    }
    # the representative's account stays: one of their requests is kept (held)
    assert completed["kept"] == [{"records": "accounts", "count": 1, "ground": "other_requests"}]
    tombstone = await access.document("organisations", {"_id": org})
    assert tombstone is not None and set(tombstone) == {"_id", "erased_at", "status_at"}
    assert await access.document("request_views", {"_id": first}) is None
    assert await access.document("request_views", {"_id": held}) is not None

    completed = await _erase(access, "request", single)
    assert completed["counts"]["request_views"] == 1 and completed["counts"]["share_grants"] == 0
    assert (await access.http.get(f"/requests/{single}", headers=STAFF)).status_code == 404


async def test_export_contributes_what_access_holds_sealed_for_the_person(access: Access) -> None:
    person = str(uuid4())
    email = f"export.{person[:6]}@example.org"
    await access.register_contact(person, email)
    await access.link_token(email)
    request_id = await access.receive_request(
        requester_id=person, email=email, at=access.clock.now() - timedelta(hours=1)
    )
    export_id = str(uuid4())
    await access.publish(
        ExportRequested(
            export_id=export_id, data_subject_id=person, requested_at=access.clock.now()
        ),
        subject=export_id,
    )

    async def contributed() -> CloudEvent | None:
        records = await read_topic(
            access.runtime.settings.kafka_bootstrap_servers, topics.PRIVACY_DSR
        )
        for record in records:
            event = CloudEvent.model_validate_json(record.value)
            if event.type == ExportContributed.event_type and event.data["export_id"] == export_id:
                return event
        return None

    event = await eventually(contributed)
    assert email not in event.model_dump_json()  # sealed
    held = await unseal(
        ExportContributed.from_event(event).records, AccessExport, keys=access.runtime.keys
    )
    assert held is not None
    assert held.email == email
    assert held.contact_ids == [person]
    assert [r.request_id for r in held.requests] == [request_id]


class Crash(Exception):
    pass


async def test_an_erasure_redone_after_its_transaction_was_lost_reports_the_whole_of_it(
    access: Access,
) -> None:
    """access deletes request copies outside the handler's transaction; when that transaction
    is lost (a crash, or a purge past the store's transaction lifetime) the redo finds nothing
    left, and must still report what was deleted and whose data it was."""
    org = f"org-{uuid4().hex[:8]}"
    reps = [str(uuid4()) for _ in range(2)]
    t0 = access.clock.now() - timedelta(hours=5)
    await access.sign_contract(
        org, contacts={rep: f"redo.{rep[:6]}@example.org" for rep in reps}, official=reps[0], at=t0
    )
    copies = [
        await access.receive_request(
            requester_id=rep, email=f"redo.{rep[:6]}@example.org", at=t0 + timedelta(hours=1)
        )
        for rep in reps
    ]

    async def assigned() -> bool:
        views = [await access.document("request_views", {"_id": c}) for c in copies]
        return all(v and v["organisation_id"] == org for v in views)

    await eventually(assigned)
    requested = _erasure_requested(access, "organisation", org)
    event = CloudEvent.of(
        source="/tests",
        type=requested.event_type,
        subject=requested.erasure_id,
        time=requested.requested_at,
        data=requested,
    )
    runner = access.runtime.runner
    erase = access.runtime.handler(topics.PRIVACY_ERASURE, requested.event_type)
    with pytest.raises(Crash):
        async with runner.transaction() as tx:
            await erase(event, tx)
            raise Crash  # the completion never commits
    assert [await access.document("request_views", {"_id": c}) for c in copies] == [None, None]
    async with runner.transaction() as tx:
        await erase(event, tx)

    staged = await access.document(
        "outbox", {"type": "privacy.erasure.completed.v1", "key": requested.erasure_id}
    )
    assert staged is not None
    completed = json.loads(staged["payload"])["data"]
    assert completed["counts"]["request_views"] == 2
    assert completed["counts"]["accounts"] == 2  # their last request and membership went
    assert set(reps) <= set(completed["data_subject_ids"])
    assert set(completed["remaining"].values()) == {0}, completed["remaining"]
