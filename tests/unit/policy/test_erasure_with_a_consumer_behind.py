"""P11 whichever service reads whichever topic late: a person's erasure leaves nothing of them,
and its certificate says so truthfully.

The person writes in on the web form; each service's consumer of each topic is then held back in
turn (`MemorySystem.holding`) while they write in once more and support staff erase them. A
service that reads the new request only after its own part of the erasure cannot have deleted
its copy then: intake names the requests it erased (`privacy.requests.erased.v1`), and each
service drops what it made of them, whichever of the two it reads first. A call or mail given
before the erasure and read by intake after it registers nobody again; one given after it is a
new contact. Then everything is
read, and the stores and topics are searched for what is left of the person."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import topics
from shared.events.privacy import RequestsErased
from tests.support import producers
from tests.support.intake import mail
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import NOW, certificates, publish
from tests.unit.policy.test_purge_with_a_consumer_behind import (
    EACH_CONSUMER_BEHIND,
    left_of_the_customer,
)
from tests.unit.policy.threads import files

__all__ = ["NOW"]

COPIES = {
    "access": "access.request_views",
    "retention": "retention.retention_clocks",
    "surveys": "surveys.survey_candidates",
}


@EACH_CONSUMER_BEHIND
async def test_a_persons_erasure_with_one_consumer_behind(
    system: MemorySystem, topic: str, service: str
) -> None:
    person = Person.new("Erin Erased", phone="+4722334455")
    _, contact_id = await files(system, person)

    with system.holding(topic, by=service):
        again = await system.http("intake").post("/requests", json=person.web_form("Once more"))
        assert again.status_code == 202, again.text
        resolved = await system.http("intake").post(  # a survey may follow (P9)
            f"/requests/{again.json()['request_id']}/status",
            json={"status": "resolved", "resolution": "solved"},
            headers=STAFF,
        )
        assert resolved.status_code == 200, resolved.text
        await system.send_mail(
            mail(sender=person.email, name=person.full_name, subject="Hi", body="Still broken.")
        )
        publish(system, producers.phone_call(person, at=system.clock.now() - timedelta(hours=1)))
        await system.settle()
        asked = await system.http("retention").post(
            "/privacy/erasures",
            headers=STAFF,
            json={"data_subject_id": contact_id},
        )
        assert asked.status_code == 200, asked.text
        await system.settle()
    await system.settle()

    certified = [c for c in await certificates(system) if c["scope"]["id"] == contact_id]
    assert certified and all(c["remaining_total"] == 0 for c in certified), certified
    readable = set(await system.plaintext(person.values))
    assert readable <= {topics.PHONE_INTAKE}, readable  # the telephony's own, kept days
    assert await left_of_the_customer(system) == set()


@pytest.mark.parametrize("service", ["retention", "surveys"])
async def test_a_copy_made_after_the_erasure_goes_when_intake_names_the_request(
    system: MemorySystem, service: str
) -> None:
    """The service reads the request after its own part of the erasure, and intake's list of
    what it erased only after that: the copy it made in between goes then."""
    person = Person.new("Erin Erased")
    _, contact_id = await files(system, person)
    told_late = system.holding(
        topics.PRIVACY_ERASURE, by=service, from_type=RequestsErased.event_type
    )
    with told_late:
        with system.holding(topics.SUPPORT_REQUESTS, by=service):
            again = await system.http("intake").post("/requests", json=person.web_form("Again"))
            await system.settle()
            asked = await system.http("retention").post(
                "/privacy/erasures", headers=STAFF, json={"data_subject_id": contact_id}
            )
            assert asked.status_code == 200, asked.text
            await system.settle()
        await system.settle()
        assert await left_of_the_customer(system) == {COPIES[service]}  # made after its part
    await system.settle()

    assert await left_of_the_customer(system) == set()
    erased = system.database(service)["erased_requests"]
    assert await erased.find_one({"_id": again.json()["request_id"], "erased_at": {"$ne": None}})


async def test_with_access_behind_the_erasure_waits_for_its_organisation_decision(
    system: MemorySystem,
) -> None:
    """access has not read the request, so nobody knows yet whether a customer keeps it (P7):
    the erasure is held back, says for which request, and starts by itself once access has
    decided; access never makes a copy after its part."""
    person = Person.new("Erin Erased")
    _, contact_id = await files(system, person)
    with system.holding(topics.SUPPORT_REQUESTS, by="access"):
        again = await system.http("intake").post("/requests", json=person.web_form("Again"))
        await system.settle()
        asked = await system.http("retention").post(
            "/privacy/erasures", headers=STAFF, json={"data_subject_id": contact_id}
        )
        assert asked.status_code == 200, asked.text
        assert asked.json() == {
            "erasure_id": None,
            "erased": False,
            "kept": [],
            "awaiting_organisation_decision": [again.json()["request_id"]],
        }
        await system.settle()
        assert await certificates(system) == []
        held = system.database("retention")["held_erasures"]
        assert await held.count_documents({"_id": contact_id}) == 1
    await system.settle()

    (certified,) = [c for c in await certificates(system) if c["scope"]["id"] == contact_id]
    assert certified["remaining_total"] == 0 and certified["kept_request_count"] == 0
    assert await held.count_documents({}) == 0
    assert await left_of_the_customer(system) == set()
    assert set(await system.plaintext(person.values)) == set()


async def test_a_call_or_mail_given_after_the_erasure_is_a_new_contact(
    system: MemorySystem,
) -> None:
    person = Person.new("Erin Erased", phone="+4722334466")
    _, contact_id = await files(system, person)
    asked = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": contact_id}
    )
    assert asked.status_code == 200, asked.text
    await system.settle()
    contacts = system.database("intake")["contacts"]
    assert await contacts.count_documents({}) == 0

    with system.holding(topics.PHONE_INTAKE), system.holding(topics.EMAIL_INTAKE):
        publish(system, producers.phone_call(person, at=system.clock.now() - timedelta(hours=1)))
        system.clock.advance(timedelta(minutes=5))
        await system.send_mail(
            mail(sender=person.email, name=person.full_name, subject="Hi", body="Still broken.")
        )
        publish(system, producers.phone_call(person, at=system.clock.now()))
    await system.settle()

    requests = system.database("intake")["requests"]
    channels = sorted([r["channel"] async for r in requests.find({})])
    assert channels == ["email", "phone"]  # the call from before the erasure made nothing
    assert await contacts.count_documents({}) == 1
