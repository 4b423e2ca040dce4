"""The email channel with smtplib against intake's running SMTP server, real Kafka and storage."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from shared import topics
from shared.events.channels import EmailReceived
from shared.events.intake import ContactRegistered, MessageAdded, RequestReceived
from tests.support.apps import eventually
from tests.support.intake import Intake, mail, unique_email


async def _requests(intake: Intake, email: str) -> list[Any]:
    contacts = await intake.find("contacts", {"email_normalised": email.casefold()})
    if not contacts:
        return []
    return await intake.find("requests", {"requester_id": contacts[0]["_id"]})


async def test_a_mail_becomes_a_request_and_its_raw_event_is_on_kafka_before_250(
    intake: Intake,
) -> None:
    sender = unique_email()
    message = mail(sender=sender, subject="Login broken", body="I cannot log in since today.")

    await intake.send_mail(message)
    raw_events = await intake.events(topics.EMAIL_INTAKE, type=EmailReceived.event_type)
    assert raw_events, "the raw mail is on intake.email as soon as SMTP said 250"
    assert sender not in str(raw_events[-1]), "the raw mail travels sealed"

    [request] = await eventually(lambda: _requests(intake, sender))
    assert request["channel"] == "email"
    assert request["subject"] == "Login broken"
    assert request["body"] == "I cannot log in since today."
    assert request["lawful_basis"] == "legitimate_interest"
    assert request["status"] == "open"
    published = await eventually(
        lambda: intake.events(
            topics.SUPPORT_REQUESTS, type=RequestReceived.event_type, subject=request["_id"]
        )
    )
    assert published[0]["data"]["channel"] == "email"


async def test_first_request_is_acknowledged_and_replying_to_the_acknowledgement_threads(
    intake: Intake,
) -> None:
    sender = unique_email()
    await intake.send_mail(mail(sender=sender, subject="Grades missing", body="Where are they?"))
    [request] = await eventually(lambda: _requests(intake, sender))

    async def acknowledgement() -> list[EmailMessage]:
        return intake.sink.to(sender)

    [ack] = await eventually(acknowledgement)
    assert request["reference"] in str(ack["Subject"])
    assert request["reference"] in ack.get_content()

    reply = mail(
        sender=sender,
        subject=f"Re: {ack['Subject']}",
        body="Still missing today.",
        In_Reply_To=str(ack["Message-ID"]),
        References=str(ack["Message-ID"]),
    )
    await intake.send_mail(reply)

    async def messages() -> list[Any]:
        found = await intake.find("messages", {"request_id": request["_id"]})
        return found if len(found) == 2 else []

    thread = await eventually(messages)
    assert sorted(m["body"] for m in thread) == ["Still missing today.", "Where are they?"]
    assert len(await _requests(intake, sender)) == 1, "a reply never opens a second request"
    added = await eventually(
        lambda: intake.events(
            topics.SUPPORT_REQUESTS, type=MessageAdded.event_type, subject=request["_id"]
        )
    )
    assert added[0]["data"]["author_role"] == "requester"
    assert "Still missing" not in str(added[0]), "message text travels sealed"


async def test_a_reply_threads_by_the_reference_in_the_subject_alone(intake: Intake) -> None:
    sender = unique_email()
    await intake.send_mail(mail(sender=sender, subject="Printer", body="It jams."))
    [request] = await eventually(lambda: _requests(intake, sender))

    await intake.send_mail(
        mail(sender=sender, subject=f"About {request['reference']}", body="Jams again.")
    )

    async def two_messages() -> bool:
        return len(await intake.find("messages", {"request_id": request["_id"]})) == 2

    await eventually(two_messages)
    assert len(await _requests(intake, sender)) == 1


async def test_contact_registered_is_published_once_not_again_on_the_second_request(
    intake: Intake,
) -> None:
    sender = unique_email()
    await intake.send_mail(mail(sender=sender, subject="First", body="one"))
    await intake.send_mail(mail(sender=sender, subject="Second", body="two"))

    async def two_requests() -> list[Any]:
        found = await _requests(intake, sender)
        return found if len(found) == 2 else []

    await eventually(two_requests)
    [contact] = await intake.find("contacts", {"email_normalised": sender})
    registered = await eventually(
        lambda: intake.events(
            topics.SUPPORT_CONTACTS, type=ContactRegistered.event_type, subject=contact["_id"]
        )
    )
    await eventually(lambda: _published_for(intake, contact["_id"], 2))
    assert len(registered) == 1
    assert sender not in str(registered[0]), "contact details travel sealed"


async def _published_for(intake: Intake, requester_id: str, count: int) -> bool:
    events = await intake.events(topics.SUPPORT_REQUESTS, type=RequestReceived.event_type)
    return len([e for e in events if e["data"]["requester_id"] == requester_id]) == count


AUTOMATIC = (
    {"Auto-Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"Precedence": "junk"},
    {"Precedence": "list"},
)


async def test_automatic_mail_does_not_become_a_request(intake: Intake) -> None:
    robots = []
    for headers in AUTOMATIC:
        sender = unique_email("robot")
        robots.append(sender)
        message = mail(sender=sender, subject="Out of office", body="I am away.")
        for name, value in headers.items():
            message[name] = value
        await intake.send_mail(message)
    human = unique_email("human")
    await intake.send_mail(mail(sender=human, subject="Real", body="A real question."))
    await eventually(lambda: _requests(intake, human))  # partitions differ: wait for all
    ignored = await eventually(lambda: _ignored(intake, len(AUTOMATIC)))

    for sender in robots:
        assert await intake.find("contacts", {"email_normalised": sender}) == []
    assert {raw["reason"] for raw in ignored} == {"auto_submitted", "precedence"}
    assert all(raw["raw"] is None for raw in ignored), "ignored mail is not kept"

    async def acknowledged() -> list[EmailMessage]:
        return intake.sink.to(human)

    await eventually(acknowledged)
    assert not any(intake.sink.to(robot) for robot in robots), "robots are not acknowledged"


async def _ignored(intake: Intake, count: int) -> list[Any]:
    found = await intake.find("raw_mails", {"outcome": "ignored"})
    return found if len(found) == count else []


async def test_mail_from_our_own_sender_is_a_loop_and_ignored(intake: Intake) -> None:
    await intake.send_mail(mail(sender="support@support.example", subject="Loop", body="x"))
    human = unique_email("human")
    await intake.send_mail(mail(sender=human, subject="Real", body="A real question."))
    await eventually(lambda: _requests(intake, human))
    [ignored] = await eventually(lambda: _ignored(intake, 1))
    assert ignored["reason"] == "own_sender"


async def test_a_30_mb_message_is_refused_with_552(intake: Intake) -> None:
    message = mail(sender=unique_email(), subject="Huge", body="x" * 100)
    message.add_attachment(b"\0" * (30 * 1024 * 1024), maintype="application", subtype="zip")

    with pytest.raises(smtplib.SMTPResponseException) as refused:
        await intake.send_mail(message)
    assert refused.value.smtp_code == 552


async def test_html_multipart_mail_with_attachment_keeps_text_and_attachment_facts(
    intake: Intake,
) -> None:
    sender = unique_email()
    message = mail(sender=sender, subject="Screenshot", body="plain version")
    message.add_alternative(
        "<html><body><p>Hello <b>team</b>,</p><script>evil()</script><p>see the picture"
        "</p></body></html>",
        subtype="html",
    )
    message.add_attachment(
        b"\x89PNG" + b"0" * 1000, maintype="image", subtype="png", filename="screen.png"
    )
    await intake.send_mail(message)

    [request] = await eventually(lambda: _requests(intake, sender))
    [first] = await intake.find("messages", {"request_id": request["_id"]})
    assert first["body"] == "plain version"
    [recorded] = first["attachments"]
    assert {k: recorded[k] for k in ("filename", "content_type", "size", "kept")} == {
        "filename": "screen.png",
        "content_type": "image/png",
        "size": 1004,
        "kept": True,
    }
    [kept] = await intake.find("attachments", {"request_id": request["_id"]})
    assert kept["_id"] == recorded["attachment_id"]
    assert b"\x89PNG" not in json.dumps(kept, default=str).encode()  # sealed at rest


async def test_an_html_only_mail_in_quoted_printable_is_read_as_text(intake: Intake) -> None:
    sender = unique_email()
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@support.example"
    message["Subject"] = "=?utf-8?q?Bl=C3=A5b=C3=A6r?="
    message.set_content(
        "<p>Caf\u00e9 &amp; cr\u00e8me</p><p>second line</p>",
        subtype="html",
        cte="quoted-printable",
    )
    await intake.send_mail(message)
    [request] = await eventually(lambda: _requests(intake, sender))
    assert request["subject"] == "Blåbær"
    assert request["body"] == "Café & crème\nsecond line"


async def test_a_mail_larger_than_kafkas_default_record_size_is_still_accepted(
    intake: Intake,
) -> None:
    sender = unique_email()
    message = mail(sender=sender, subject="Logs", body="Attached are the logs.")
    message.add_attachment(
        bytes(range(256)) * 8192, maintype="application", subtype="gzip", filename="logs.gz"
    )
    await intake.send_mail(message)  # 2 MiB: over Kafka's 1 MiB default, under our limit
    [request] = await eventually(lambda: _requests(intake, sender))
    [first] = await intake.find("messages", {"request_id": request["_id"]})
    assert first["attachments"][0]["size"] == 2 * 1024 * 1024
    assert first["attachments"][0]["kept"] is False  # a gzip: listed, not kept
    [raw] = await intake.find("raw_mails", {"request_id": request["_id"]})
    assert raw["size"] > 2 * 1024 * 1024
    assert raw["raw"] is None, "raw mails above the storage limit are kept only as facts"
