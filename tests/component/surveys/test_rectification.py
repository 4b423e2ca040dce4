"""A rectification (P11): surveys keeps the corrected address, and an opt-out stays."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

from services.surveys.handlers import InvitationAddress
from shared.crypto import SealedPersonalData, seal, unseal
from shared.events.intake import ContactDetails
from shared.events.privacy import RectificationRequested
from shared.mongo import Document
from tests.component.surveys.conftest import Surveys, links
from tests.support.apps import eventually


async def test_a_rectification_replaces_the_address_and_the_opt_out_follows_it(
    surveys: Surveys,
) -> None:
    person, old_email = await surveys.register()
    await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))
    [mail] = await eventually(lambda: _mails(surveys, old_email))
    opted = await surveys.http.post(f"/surveys/opt-out/{links(mail)['opt_out']}")
    assert opted.status_code == 200
    before = await surveys.document("contacts", person)
    assert before is not None
    old_key = before["opt_out_key"]

    new_email = f"corrected.{person[:8]}@example.org"
    corrected = ContactDetails(full_name="Corrected Person", email=new_email)
    now = surveys.clock.now()
    keys = surveys.runtime.keys
    await surveys.publish(
        RectificationRequested(
            rectification_id=str(uuid4()),
            data_subject_id=person,
            requested_at=now,
            details=await seal(corrected, data_subject_id=person, keys=keys),
        ),
        subject=person,
        time=now,
    )

    async def rectified() -> Document | None:
        found = await surveys.document("contacts", person)
        return found if found and found["opt_out_key"] != old_key else None

    stored = await eventually(rectified, timeout=30)
    address = await unseal(
        SealedPersonalData.model_validate(stored["address"]), InvitationAddress, keys=keys
    )
    assert address is not None and address.email == new_email
    database = surveys.runtime.runner.database
    invitations = await database["invitations"].find({"requester_id": person}).to_list()
    held = json.dumps([stored, *invitations], default=str)
    for gone in (old_email, old_key, new_email, "Survey Person", "Corrected Person"):
        assert gone not in held  # the old hash is replaced; addresses and names only sealed
    assert await database["opt_outs"].find_one({"_id": stored["opt_out_key"]}) is not None

    surveys.clock.advance(timedelta(days=60))
    later = await surveys.resolve(person)
    assert await surveys.reason(later) == "opted_out"
    surveys.clock.advance(timedelta(days=2))
    await surveys.dispatch()
    assert surveys.sink.to(new_email) == []


async def _mails(surveys: Surveys, email: str) -> list[object]:
    return list(surveys.sink.to(email))
