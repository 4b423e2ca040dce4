"""access applies a P11 rectification through real Kafka and storage."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from shared.crypto import seal
from shared.events.intake import ContactDetails
from shared.events.privacy import RectificationRequested
from tests.component.access.conftest import PASSWORD, STAFF, Access
from tests.support.apps import eventually


async def test_rectification_replaces_name_and_email_in_views_and_account_login(
    access: Access,
) -> None:
    person = str(uuid4())
    old_email = f"Wrong.{person[:6]}@example.org"
    new_email = f"right.{person[:6]}@example.org"
    await access.register_contact(person, old_email)
    await access.activate(old_email)
    request_id = await access.receive_request(
        requester_id=person, email=old_email, at=access.clock.now() - timedelta(hours=1)
    )
    other_id = await access.receive_request(
        requester_id=str(uuid4()), email="bystander@example.org", at=access.clock.now()
    )
    corrected = ContactDetails(full_name="Corrected Name", email=new_email, phone="+4712345678")
    rectification_id = str(uuid4())
    await access.publish(
        RectificationRequested(
            rectification_id=rectification_id,
            data_subject_id=person,
            requested_at=access.clock.now(),
            details=await seal(corrected, data_subject_id=person, keys=access.runtime.keys),
        ),
        subject=rectification_id,
    )

    async def rectified() -> bool:
        view = await access.document("request_views", {"_id": request_id})
        return bool(view and view["requester_email"] == new_email)

    await eventually(rectified)
    shown = (await access.http.get(f"/requests/{request_id}", headers=STAFF)).json()
    assert (shown["requester_name"], shown["requester_email"]) == ("Corrected Name", new_email)
    stored = [
        await access.document("request_views", {"_id": request_id}),
        await access.document("accounts", {"_id": person}),
    ]
    assert stored[1] is not None and stored[1]["email_normalised"] == new_email
    assert stored[1]["password_hash"]  # kept: the person logs in with the new email
    for document in stored:
        text = str(document).casefold()
        assert old_email.casefold() not in text and "requester person" not in text
    bystander = await access.document("request_views", {"_id": other_id})
    assert bystander is not None and bystander["requester_name"] == "Requester Person"
    assert await access.login(new_email, PASSWORD)
    login = await access.http.post("/login", json={"email": old_email, "password": PASSWORD})
    assert login.status_code == 401
