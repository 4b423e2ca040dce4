"""The SMTP relay away, a crash between send and record, and the export of a person's data."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from uuid import uuid4

from services.surveys.privacy import SurveysExport
from shared import topics
from shared.crypto import SealedPersonalData, unseal
from shared.events.privacy import ExportRequested
from tests.component.surveys.conftest import Surveys, links
from tests.support.apps import eventually
from tests.support.kafka import read_topic


async def test_invitations_wait_while_the_relay_is_down_and_each_goes_out_once(
    surveys: Surveys,
) -> None:
    people = [await surveys.register() for _ in range(3)]
    surveys.sink.stop()
    for person, _email in people:
        await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))

    async def failing() -> bool:
        return surveys.metric("surveys_invitation_send_failures_total") >= 2

    await eventually(failing, timeout=30)
    assert surveys.metric("surveys_invitation_queue_depth") == 3
    assert all(surveys.sink.to(email) == [] for _p, email in people)

    surveys.sink.start()

    async def delivered() -> bool:
        return all(len(surveys.sink.to(email)) >= 1 for _p, email in people)

    await eventually(delivered, timeout=30)
    await asyncio.sleep(1.0)
    assert [len(surveys.sink.to(email)) for _p, email in people] == [1, 1, 1]
    assert surveys.metric("surveys_invitation_queue_depth") == 0


async def test_a_crash_between_send_and_record_resends_the_same_message_after_the_lease(
    surveys: Surveys,
) -> None:
    person, email = await surveys.register()
    request_id = await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))
    [first] = await eventually(lambda: _mails(surveys, email))
    [decision] = await surveys.decisions(request_id)
    invitations = surveys.runtime.runner.database["invitations"]

    async def recorded_sent() -> bool:  # the mail reaches the sink just before this commits
        found = await invitations.find_one({"_id": decision["invitation_id"]})
        return found is not None and found["state"] == "sent"

    await eventually(recorded_sent)
    # as if the process died after the relay took the mail and before `sent` was committed
    lease_until = surveys.clock.now() + timedelta(minutes=5)
    await invitations.update_one(
        {"_id": decision["invitation_id"]},
        {"$set": {"state": "sending", "lease_until": lease_until}},
    )
    assert await surveys.dispatch() == 0  # the lease of the "crashed" attempt still holds
    surveys.clock.advance(timedelta(minutes=6))
    [_, resent] = await eventually(lambda: _two(surveys, email))
    assert resent["Message-ID"] == first["Message-ID"]  # recognisably the same mail
    assert links(resent) == links(first)
    answered = await surveys.http.post(
        "/surveys/responses", json={"token": links(first)["respond"], "score": 4}
    )
    assert answered.status_code == 201
    again = await surveys.http.post(
        "/surveys/responses", json={"token": links(resent)["respond"], "score": 4}
    )
    assert again.status_code == 409


async def test_an_export_hands_over_what_surveys_holds_on_a_person_sealed(
    surveys: Surveys,
) -> None:
    person, email = await surveys.register()
    request_id = await surveys.resolve(person)
    export_id = str(uuid4())
    now = surveys.clock.now()
    await surveys.publish(
        ExportRequested(export_id=export_id, data_subject_id=person, requested_at=now),
        subject=export_id,
        time=now,
    )
    event = await eventually(lambda: _contribution(surveys, export_id), timeout=30)
    assert email not in json.dumps(event)
    sealed = SealedPersonalData.model_validate(event["records"])
    exported = await unseal(sealed, SurveysExport, keys=surveys.runtime.keys)
    assert exported is not None
    assert exported.email == email
    assert exported.registered and not exported.opted_out
    assert [i.request_id for i in exported.invitations] == [request_id]


async def _mails(surveys: Surveys, email: str) -> list[object]:
    return list(surveys.sink.to(email))


async def _two(surveys: Surveys, email: str) -> list[object] | None:
    found = surveys.sink.to(email)
    return list(found) if len(found) == 2 else None


async def _contribution(surveys: Surveys, export_id: str) -> dict[str, object] | None:
    bootstrap = surveys.runtime.settings.kafka_bootstrap_servers
    for record in await read_topic(bootstrap, topics.PRIVACY_DSR):
        event = json.loads(record.value)
        if event["type"] == "privacy.export.contributed.v1" and event["subject"] == export_id:
            data: dict[str, object] = event["data"]
            return data
    return None


async def test_dispatch_rounds_at_once_each_invitation_goes_out_once_and_no_round_fails(
    surveys: Surveys,
) -> None:
    """Two replicas (here: rounds run at once beside the background task) claim the same due
    invitations; the claim that loses the write conflict goes past it, and the round goes on."""
    people = [await surveys.register() for _ in range(6)]
    for person, _email in people:
        await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))

    rounds = await asyncio.gather(*(surveys.dispatch() for _ in range(4)))

    async def delivered() -> bool:
        return all(len(surveys.sink.to(email)) >= 1 for _p, email in people)

    await eventually(delivered, timeout=30)
    await asyncio.sleep(1.0)
    assert [len(surveys.sink.to(email)) for _p, email in people] == [1] * 6
    assert sum(rounds) <= 6
    assert surveys.metric("surveys_decisions_total", reason="sent") == 6
