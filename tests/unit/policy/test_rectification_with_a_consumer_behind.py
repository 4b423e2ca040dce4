"""P11 whichever service reads whichever topic late: a person's correction of their details
reaches every copy, also one made after it from a late read of the request or the registration.

The person writes in twice on the web form and corrects their name and email while each
service's consumer of each topic is held back in turn (`MemorySystem.holding`). A service that
reads the registration or a request only after the correction cannot have corrected it then:
intake, once it has applied the correction, announces it after the registration
(`support.contact.rectified.v1`) and after each of the person's requests
(`support.request.requester_rectified.v1`), so a late reader takes the details as first given
and the correction after them. Then support staff's view of each request and the person's
export hold the corrected details only."""

from __future__ import annotations

import json

from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import NOW, export_of
from tests.unit.policy.test_purge_with_a_consumer_behind import EACH_CONSUMER_BEHIND
from tests.unit.policy.threads import files

__all__ = ["NOW"]

CORRECTED = {"full_name": "Erin Newname", "email": "erin.new@example.org"}


@EACH_CONSUMER_BEHIND
async def test_a_correction_with_one_consumer_behind(
    system: MemorySystem, topic: str, service: str
) -> None:
    person = Person.new("Erin Oldname")
    with system.holding(topic, by=service):
        first, contact_id = await files(system, person)
        again = await system.http("intake").post("/requests", json=person.web_form("Once more"))
        assert again.status_code == 202, again.text
        await system.settle()
        rectified = await system.http("retention").post(
            "/privacy/rectifications",
            headers=STAFF,
            json={"data_subject_id": contact_id, "details": CORRECTED},
        )
        assert rectified.status_code == 202, rectified.text
        await system.settle()
    await system.settle()

    for request_id in (first, again.json()["request_id"]):
        view = (await system.http("access").get(f"/requests/{request_id}", headers=STAFF)).json()
        assert (view["requester_name"], view["requester_email"]) == tuple(CORRECTED.values())
    export = await export_of(system, contact_id)
    held = json.dumps(export)
    assert "Oldname" not in held and person.email not in held
    assert set(export["services"]) == {"intake", "access", "retention", "surveys"}
    assert CORRECTED["email"] in json.dumps(export["services"]["access"])  # the login
    assert CORRECTED["email"] in json.dumps(export["services"]["surveys"])  # the address
