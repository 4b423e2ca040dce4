"""Messages and status changes through the API (staff, or the requester on their own request),
and intake's part in erasure and export."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.intake.export import IntakeExport
from services.intake.smtp import mail_key_id
from shared import topics
from shared.crypto import SealedPersonalData, unseal
from shared.events import CloudEvent
from shared.events.intake import MessageAdded, StatusChanged
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ErasureScope,
    ExportContributed,
    ExportRequested,
)
from shared.settings import ServiceSettings
from shared.tokens import KeyRing, issue_token
from tests.support.apps import eventually
from tests.support.intake import STAFF, Intake, mail, unique_email

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def submit(intake: Intake, email: str, subject: str = "Quiz") -> dict[str, Any]:
    response = await intake.http.post(
        "/requests",
        json={"full_name": "Ada", "email": email, "subject": subject, "body": "Broken."},
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


def requester_token(contact_id: str) -> dict[str, str]:
    keys = KeyRing.parse(ServiceSettings().token_signing_keys.get_secret_value())
    token = issue_token(
        contact_id, "requester", keys=keys, now=datetime.now(UTC), lifetime=timedelta(hours=1)
    )
    return {"Authorization": f"Bearer {token}"}


async def test_staff_answer_and_resolve_and_the_events_carry_the_activity_time(
    intake: Intake,
) -> None:
    submitted = await submit(intake, unique_email())
    request_id = submitted["request_id"]

    added = await intake.http.post(
        f"/requests/{request_id}/messages", json={"body": "Try again now."}, headers=STAFF
    )
    assert added.status_code == 201, added.text
    refused = await intake.http.post(
        f"/requests/{request_id}/status", json={"status": "resolved"}, headers=STAFF
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "resolution"
    resolved = await intake.http.post(
        f"/requests/{request_id}/status",
        json={"status": "resolved", "resolution": "solved"},
        headers=STAFF,
    )
    assert resolved.json() == {
        "request_id": request_id,
        "status": "resolved",
        "resolution": "solved",
    }

    [changed] = await eventually(
        lambda: intake.events(
            topics.SUPPORT_REQUESTS, type=StatusChanged.event_type, subject=request_id
        )
    )
    assert changed["data"]["to_status"] == "resolved"
    assert changed["data"]["resolution"] == "solved"
    assert changed["data"]["changed_by_role"] == "support_staff"
    [stored] = await intake.find("requests", {"_id": request_id})
    assert stored["last_activity_at"].isoformat().startswith(changed["data"]["changed_at"][:19])
    [message] = await eventually(
        lambda: intake.events(
            topics.SUPPORT_REQUESTS, type=MessageAdded.event_type, subject=request_id
        )
    )
    assert message["data"]["author_role"] == "support_staff"


async def test_a_requester_writes_only_to_their_own_requests(intake: Intake) -> None:
    own = await submit(intake, unique_email("own"))
    other = await submit(intake, unique_email("other"))
    [mine] = await intake.find("requests", {"_id": own["request_id"]})
    headers = requester_token(mine["requester_id"])

    allowed = await intake.http.post(
        f"/requests/{own['request_id']}/messages", json={"body": "More detail."}, headers=headers
    )
    assert allowed.status_code == 201
    withdrawn = await intake.http.post(
        f"/requests/{own['request_id']}/status",
        json={"status": "closed", "resolution": "withdrawn"},
        headers=headers,
    )
    assert withdrawn.status_code == 200
    for path, body in (("messages", {"body": "x"}), ("status", {"status": "pending"})):
        denied = await intake.http.post(
            f"/requests/{other['request_id']}/{path}", json=body, headers=headers
        )
        assert denied.status_code == 404
    anonymous = await intake.http.post(
        f"/requests/{own['request_id']}/messages", json={"body": "x"}
    )
    assert anonymous.status_code == 401
    assert len(await intake.find("messages", {"request_id": other["request_id"]})) == 1


async def test_a_person_erasure_deletes_their_records_except_kept_requests(
    intake: Intake,
) -> None:
    email = unique_email()
    kept = await submit(intake, email, "kept")
    await intake.send_mail(mail(sender=email, subject="by mail", body="mailed"))
    await intake.send_mail(mail(sender=email, subject="kept by mail", body="mailed, kept"))

    async def three() -> list[Any]:
        found = await intake.requests_of(email)
        return found if len(found) == 3 else []

    await intake.decided_by_access(await eventually(three))
    [contact] = await intake.find("contacts", {"email_normalised": email})
    kept_mail, gone_mail = await intake.find("raw_mails", {"requester_id": contact["_id"]})
    for raw in (kept_mail, gone_mail):
        assert await intake.runtime.keys.existing_key(mail_key_id(str(raw["_id"]))) is not None
    kept_ids = (kept["request_id"], kept_mail["request_id"])
    erasure_id = str(uuid4())
    await intake.publish(
        ErasureRequested(
            erasure_id=erasure_id,
            scope=ErasureScope(kind="person", id=contact["_id"], keep_request_ids=kept_ids),
            ground="data_subject_request",
            requested_at=NOW,
            deadline=NOW + timedelta(days=30),
        ),
        subject=erasure_id,
    )
    completed = await eventually(
        lambda: intake.events(
            topics.PRIVACY_ERASURE, type=ErasureCompleted.event_type, subject=erasure_id
        )
    )
    data = completed[0]["data"]
    assert data["participant"] == "intake"
    assert data["counts"] == {
        "messages": 1,
        "raw_mails": 1,
        "channel_items": 2,  # the mail's Message-ID and its acknowledgement's
        "acknowledgements": 1,
        "attachments": 0,
        "requests": 1,
        "representatives": 0,
    }
    assert set(data["remaining"].values()) == {0}
    # the kept requests keep their requester's contact (held ones: the hold's ground)
    assert data["kept"] == [{"records": "contacts", "count": 1, "ground": "legal_hold"}]
    assert data["kept_data_subject_ids"] == [contact["_id"]]
    assert data["data_subject_ids"] == []
    assert len(await intake.find("contacts", {"email_normalised": email})) == 1
    remaining = await intake.find("requests", {"requester_id": contact["_id"]})
    assert sorted(r["_id"] for r in remaining) == sorted(kept_ids)
    # the kept request's mail stays with its key; the other one's is gone, key shredded
    left = await intake.find("raw_mails", {"requester_id": contact["_id"]})
    assert [m["_id"] for m in left] == [kept_mail["_id"]]
    assert await intake.runtime.keys.existing_key(mail_key_id(str(kept_mail["_id"]))) is not None
    assert await intake.runtime.keys.existing_key(mail_key_id(str(gone_mail["_id"]))) is None
    assert await intake.find("messages", {"request_id": kept["request_id"]}) != []
    assert email not in json.dumps(completed[0])


async def test_an_export_hands_over_what_intake_holds_sealed_for_the_person(
    intake: Intake,
) -> None:
    email = unique_email()
    submitted = await submit(intake, email, "export me")
    [contact] = await intake.find("contacts", {"email_normalised": email})
    export_id = str(uuid4())
    await intake.publish(
        ExportRequested(export_id=export_id, data_subject_id=contact["_id"], requested_at=NOW),
        subject=export_id,
    )
    [contributed] = await eventually(
        lambda: intake.events(
            topics.PRIVACY_DSR, type=ExportContributed.event_type, subject=export_id
        )
    )
    assert email not in json.dumps(contributed)
    sealed = SealedPersonalData.model_validate(contributed["data"]["records"])
    records = await unseal(sealed, IntakeExport, keys=intake.runtime.keys)
    assert records is not None
    assert records.contact is not None and records.contact["email"] == email
    assert [r["_id"] for r in records.requests] == [submitted["request_id"]]
    assert records.messages[0]["body"] == "Broken."


class Crash(Exception):
    pass


async def test_an_erasure_redone_after_its_transaction_was_lost_reports_the_whole_of_it(
    intake: Intake,
) -> None:
    """Intake deletes requests and messages outside the handler's transaction; if that
    transaction is lost (a 20,000-request purge outlived the store's 60 s limit), the redo
    finds nothing left and must still report the counts and whose data it was."""
    email = unique_email()
    for subject in ("one", "two"):
        await submit(intake, email, subject)

    async def both() -> list[Any]:
        found = await intake.requests_of(email)
        return found if len(found) == 2 else []

    await intake.decided_by_access(await eventually(both))
    [contact] = await intake.find("contacts", {"email_normalised": email})
    erasure_id = str(uuid4())
    event = CloudEvent.of(
        source="/tests",
        type=ErasureRequested.event_type,
        subject=erasure_id,
        time=NOW,
        data=ErasureRequested(
            erasure_id=erasure_id,
            scope=ErasureScope(kind="person", id=contact["_id"]),
            ground="data_subject_request",
            requested_at=NOW,
            deadline=NOW + timedelta(days=30),
        ),
    )
    runtime = intake.runtime
    handler = runtime.handler(topics.PRIVACY_ERASURE, ErasureRequested.event_type)
    with pytest.raises(Crash):
        async with runtime.runner.transaction() as tx:
            await handler(event, tx)
            raise Crash  # the completion never commits
    assert await intake.find("requests", {"requester_id": contact["_id"]}) == []
    async with runtime.runner.transaction() as tx:
        await handler(event, tx)

    [staged] = await intake.find("outbox", {"type": ErasureCompleted.event_type, "key": erasure_id})
    completed = json.loads(staged["payload"])["data"]
    assert completed["counts"] == {
        "messages": 2,
        "raw_mails": 0,
        "channel_items": 2,
        "acknowledgements": 2,
        "attachments": 0,
        "requests": 2,
        "representatives": 0,
        "contacts": 1,
    }
    assert completed["data_subject_ids"] == [contact["_id"]]
    assert set(completed["remaining"].values()) == {0}
