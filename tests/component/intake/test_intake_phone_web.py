"""Phone calls and web submissions: the same person lands on the same contact; unusable calls
go to the dead-letter topic with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from shared import topics
from shared.events.channels import PhoneCallLogged
from shared.events.intake import ContactRegistered, MessageAdded
from shared.topics import dead_letter_topic
from tests.support.apps import eventually
from tests.support.intake import Intake, unique_email
from tests.support.kafka import read_topic

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def call(number: str, **fields: Any) -> PhoneCallLogged:
    values: dict[str, Any] = {
        "call_id": str(uuid4()),
        "caller_number": number,
        "agent_id": "agent-7",
        "call_started_at": STARTED,
        "call_ended_at": STARTED + timedelta(minutes=4),
        "notes": "Caller cannot see the timetable.",
        **fields,
    }
    return PhoneCallLogged(**values)


def unique_number() -> tuple[str, str]:
    digits = str(40_000_000 + int(uuid4().int % 9_999_999))
    return f"{digits[:3]} {digits[3:5]} {digits[5:]}", f"+47{digits}"


async def test_a_web_submission_and_a_phone_only_call_land_on_the_same_contact(
    intake: Intake,
) -> None:
    email = unique_email()
    national, e164 = unique_number()
    submitted = await intake.http.post(
        "/requests",
        json={
            "full_name": "Ada Example",
            "email": email,
            "phone": f"+47 {national}",
            "subject": "Timetable",
            "body": "It is empty.",
        },
    )
    assert submitted.status_code == 202, submitted.text
    await intake.publish(call(national), subject="call")

    async def two_requests() -> list[Any]:
        found = await intake.requests_of(email)
        return found if len(found) == 2 else []

    requests = await eventually(two_requests)
    [contact] = await intake.find("contacts", {"email_normalised": email})
    assert contact["phone_e164"] == e164
    assert {r["requester_id"] for r in requests} == {contact["_id"]}
    assert {r["channel"] for r in requests} == {"web", "phone"}
    registered = await intake.events(
        topics.SUPPORT_CONTACTS, type=ContactRegistered.event_type, subject=contact["_id"]
    )
    assert len(registered) == 1


async def test_a_call_with_the_email_of_a_web_requester_lands_on_that_contact(
    intake: Intake,
) -> None:
    email = unique_email()
    national, e164 = unique_number()
    await intake.publish(
        call(national, caller_email=email.upper(), caller_name="Ada Example"), subject="c"
    )
    await eventually(lambda: intake.find("contacts", {"email_normalised": email}))
    response = await intake.http.post(
        "/requests",
        json={"full_name": "Ada E.", "email": email, "subject": "Also", "body": "On the web."},
    )
    assert response.status_code == 202
    [contact] = await intake.find("contacts", {"email_normalised": email})
    assert contact["phone_e164"] == e164
    requests = await intake.find("requests", {"requester_id": contact["_id"]})
    assert {r["channel"] for r in requests} == {"web", "phone"}


async def test_a_call_naming_a_reference_adds_a_message_to_that_request(intake: Intake) -> None:
    email = unique_email()
    national, _ = unique_number()
    response = await intake.http.post(
        "/requests",
        json={
            "full_name": "Ada",
            "email": email,
            "phone": national,
            "subject": "Quiz",
            "body": "Broken.",
        },
    )
    reference, request_id = response.json()["reference"], response.json()["request_id"]
    await intake.publish(
        call(national, request_reference=reference, notes="Called back."), subject="x"
    )

    async def two_messages() -> list[Any]:
        found = await intake.find("messages", {"request_id": request_id})
        return found if len(found) == 2 else []

    messages = await eventually(two_messages)
    assert "Called back." in {m["body"] for m in messages}
    assert len(await intake.requests_of(email)) == 1
    added = await eventually(
        lambda: intake.events(
            topics.SUPPORT_REQUESTS, type=MessageAdded.event_type, subject=request_id
        )
    )
    assert added[0]["data"]["channel"] == "phone"
    assert added[0]["data"]["author_role"] == "support_staff"


async def test_an_unknown_caller_without_email_goes_to_the_dead_letter_topic_with_a_reason(
    intake: Intake,
) -> None:
    national, e164 = unique_number()
    event = await intake.publish(call(national), subject="unknown-caller")

    async def dead_letter() -> list[Any]:
        records = await read_topic(intake.bootstrap, dead_letter_topic(topics.PHONE_INTAKE))
        return [r for r in records if str(event.id).encode() in r.value]

    letters = await eventually(dead_letter)
    for letter in letters:
        reason = dict(letter.headers)["dlq-reason"].decode()
        assert reason.startswith("caller_email: required")
        assert national not in reason
    assert await intake.find("contacts", {"phone_e164": e164}) == []


async def test_a_redelivered_call_is_recorded_once(intake: Intake) -> None:
    email = unique_email()
    national, _ = unique_number()
    logged = call(national, caller_email=email)
    await intake.publish(logged, subject="a")
    await intake.publish(logged, subject="a")  # same call id, new CloudEvent id
    later = unique_email()
    await intake.publish(call(unique_number()[0], caller_email=later), subject="b")
    await eventually(lambda: intake.find("contacts", {"email_normalised": later}))
    assert len(await intake.requests_of(email)) == 1


async def _submitted(intake: Intake, email: str, subject: str = "Help") -> str:
    """A web form's submission from `email`; its request id."""
    response = await intake.http.post(
        "/requests",
        json={"full_name": "Ada E.", "email": email, "subject": subject, "body": "Please."},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["request_id"])


async def test_a_subject_typed_with_a_line_break_is_acknowledged_and_holds_no_other_up(
    intake: Intake,
) -> None:
    """A line break in a subject once failed its acknowledgement's every try, and the ones
    queued after it waited behind it for good."""
    odd, plain = unique_email(), unique_email()
    for email, subject in ((odd, "Help\nBcc: eve@example.org"), (plain, "Help")):
        await _submitted(intake, email, subject)

    async def acknowledged() -> list[Any]:
        found = [*intake.sink.to(odd), *intake.sink.to(plain)]
        return found if len(found) == 2 else []

    [first, second] = await eventually(acknowledged)
    assert str(first["Subject"]).endswith("] Help Bcc: eve@example.org")
    assert first["Bcc"] is None
    assert str(second["Subject"]).endswith("] Help")
    sent_to = [address for message in intake.sink.handler.recipients for address in message]
    assert "eve@example.org" not in sent_to


async def test_an_acknowledgement_the_relay_refuses_for_good_is_recorded_and_holds_no_other_up(
    intake: Intake,
) -> None:
    gone, plain = unique_email(), unique_email()
    intake.sink.handler.refuse.add(gone)
    requests = [await _submitted(intake, email) for email in (gone, plain)]

    async def acknowledged() -> list[Any]:
        return intake.sink.to(plain)

    async def refused() -> list[Any]:
        query = {"request_id": requests[0], "refused_at": {"$ne": None}}
        return await intake.find("acknowledgements", query)

    await eventually(acknowledged)
    [acknowledgement] = await eventually(refused)
    assert "to" not in acknowledgement  # the address is dropped, as once sent
    assert acknowledgement["sent_at"] is not None  # out of the queue: no round takes it again
    assert intake.sink.to(gone) == []
    registry = intake.runtime.registry
    assert registry.get_sample_value("intake_acknowledgements_refused_total") == 1


async def test_an_acknowledgement_no_mail_can_be_made_of_is_kept_and_holds_no_other_up(
    intake: Intake,
) -> None:
    """A queued acknowledgement missing a field (a fault of ours, e.g. a document an older
    version wrote) once failed every round at the head of the queue: it is now kept, counted and
    tried again after the send lease, and the ones after it go."""
    broken, plain = unique_email(), unique_email()
    # the broken one queued first, as an older version wrote it (no reference), put in the
    # queue directly: breaking one intake queued raced the dispatcher, which could have read it
    # whole already (and sent it once the sink was back)
    broken_id = str(uuid4())
    await intake.collection("acknowledgements").insert_one(
        {
            "_id": broken_id,
            "request_id": broken_id,
            "requester_id": str(uuid4()),
            "to": broken,
            "subject": "[SR-OLDVERSN] Help",
            "message_id": f"<ack.{broken_id}@intake.support.example>",
            "queued_at": datetime.now(UTC) - timedelta(seconds=1),
            "organisation_id": None,
            "sent_at": None,
        }
    )
    requests = [broken_id, await _submitted(intake, plain)]

    async def acknowledged() -> list[Any]:
        return intake.sink.to(plain)

    await eventually(acknowledged)
    registry = intake.runtime.registry

    async def counted() -> bool:
        return bool(registry.get_sample_value("intake_acknowledgements_unbuildable_total"))

    await eventually(counted)
    [kept] = await intake.find("acknowledgements", {"request_id": requests[0]})
    assert kept["sent_at"] is None  # still queued: the next try may succeed once mended
    assert kept["to"] == broken
    assert intake.sink.to(broken) == []
