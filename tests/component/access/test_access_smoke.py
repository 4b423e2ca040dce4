"""Smoke: a requester's account, login and own request through real Kafka and storage."""

from __future__ import annotations

from uuid import uuid4

from tests.component.access.conftest import STAFF, Access, bearer, days


async def test_registered_contact_sets_password_logs_in_and_reads_own_request(
    access: Access,
) -> None:
    contact_id = str(uuid4())
    email = f"ada.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.activate(email)
    request_id = await access.receive_request(
        requester_id=contact_id, email=email, at=access.clock.now() - days(1)
    )
    own = await access.http.get(f"/requests/{request_id}", headers=bearer(token))
    assert own.status_code == 200, own.text
    assert own.json()["requester_email"] == email
    staff = await access.http.get(f"/requests/{request_id}", headers=STAFF)
    assert staff.status_code == 200
