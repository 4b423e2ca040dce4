"""intake's part in rectification (P11): corrected contact details replace the stored ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import uuid4

from services.intake.domain import Contact
from services.intake.repository import MongoContacts
from shared import topics
from shared.crypto import seal, unseal
from shared.events import CloudEvent
from shared.events.intake import (
    ContactDetails,
    ContactRectified,
    ContactRegistered,
    RequesterRectified,
)
from shared.events.privacy import RectificationRequested
from shared.mongo import Document
from tests.support.apps import eventually
from tests.support.intake import Intake, unique_email
from tests.support.kafka import read_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def ask_rectification(intake: Intake, person: str, corrected: ContactDetails) -> None:
    """retention asks for the person's correction, stated at NOW."""
    rectification_id = str(uuid4())
    await intake.publish(
        RectificationRequested(
            rectification_id=rectification_id,
            data_subject_id=person,
            requested_at=NOW,
            details=await seal(corrected, data_subject_id=person, keys=intake.runtime.keys),
        ),
        subject=rectification_id,
    )


async def test_a_rectification_replaces_the_contact_details_and_matching_follows(
    intake: Intake,
) -> None:
    contact_id = str(uuid4())
    old_email, new_email = unique_email("ada.old"), unique_email("ada.new")
    async with intake.runtime.runner.transaction() as tx:
        await MongoContacts(tx.database, tx).add(
            Contact(
                contact_id=contact_id,
                details=ContactDetails(
                    full_name="Ada Oldname", email=old_email, phone="+4722334455", company="Old AS"
                ),
            ),
            email_key=old_email,
            phone_key="+4722334455",
        )
    corrected = ContactDetails(
        full_name="Ada Newname", email=new_email.upper(), phone="901 23 456", company=None
    )
    await ask_rectification(intake, contact_id, corrected)

    async def rectified() -> list[Document]:
        return await intake.find("contacts", {"_id": contact_id, "full_name": "Ada Newname"})

    [stored] = await eventually(rectified)
    assert stored["email"] == str(corrected.email)
    assert stored["email_normalised"] == new_email
    assert (stored["phone"], stored["phone_e164"]) == ("901 23 456", "+4790123456")
    assert stored["company"] is None
    held = json.dumps(await intake.find("contacts", {"_id": contact_id}), default=str)
    assert old_email not in held and "Oldname" not in held and "Old AS" not in held
    assert await intake.find("contacts", {"email_normalised": old_email}) == []

    response = await intake.http.post(
        "/requests",
        json={"full_name": "Ada", "email": new_email, "subject": "Again", "body": "Hello."},
    )
    assert response.status_code == 202, response.text
    [request] = await intake.find("requests", {"_id": response.json()["request_id"]})
    assert request["requester_id"] == contact_id


async def test_a_rectification_is_announced_after_the_registration_and_each_request(
    intake: Intake,
) -> None:
    """On Kafka, after what a late reader may still take the old details from: the contact's
    registration (`support.contacts`) and each of their requests (`support.requests`)."""
    email = unique_email("bo.old")
    filed = await intake.http.post(
        "/requests",
        json={"full_name": "Bo Oldname", "email": email, "subject": "Help", "body": "Hi."},
    )
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["request_id"]
    [request] = await intake.find("requests", {"_id": request_id})
    person = str(request["requester_id"])
    corrected = ContactDetails(full_name="Bo Newname", email=unique_email("bo.new"))
    await ask_rectification(intake, person, corrected)

    async def announced(topic: str, subject: str, kind: str) -> list[CloudEvent]:
        events = await read_events(intake.bootstrap, topic)
        return [e for e in events if e.subject == subject and e.type == kind]

    contact_events = await eventually(
        lambda: announced(topics.SUPPORT_CONTACTS, person, ContactRectified.event_type)
    )
    request_events = await eventually(
        lambda: announced(topics.SUPPORT_REQUESTS, request_id, RequesterRectified.event_type)
    )
    registered = await announced(topics.SUPPORT_CONTACTS, person, ContactRegistered.event_type)
    assert len(registered) == 1 and len(contact_events) == len(request_events) == 1
    keys = intake.runtime.keys
    of_contact = ContactRectified.from_event(contact_events[0])
    assert of_contact.rectified_at == NOW
    assert await unseal(of_contact.details, ContactDetails, keys=keys) == corrected
    of_request = RequesterRectified.from_event(request_events[0])
    assert (of_request.request_id, of_request.requester_id) == (request_id, person)
    assert await unseal(of_request.details, ContactDetails, keys=keys) == corrected
