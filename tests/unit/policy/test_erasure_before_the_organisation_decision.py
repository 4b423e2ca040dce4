"""P7 and P11 when the organisation decision is late: a representative's erasure keeps the
customer's request (the customer-records rule) whichever service reads whichever topic late.

Which organisation a request belongs to is access's decision when it reads the request; access
announces it for every request (a customer's or nobody's) on `access.memberships`, and
retention's clocks, which make the erasure's list of kept requests, follow it. An erasure asked
before the decision has reached retention waits for it (held back, then started by itself)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import topics
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import NOW, System, certificates, customer_with_a_request
from tests.unit.policy.test_purge_with_a_consumer_behind import EVERY_CONSUMER
from tests.unit.policy.threads import files

__all__ = ["NOW"]


@pytest.mark.parametrize(("topic", "service"), EVERY_CONSUMER)
async def test_a_representatives_erasure_keeps_the_customers_request_with_one_consumer_behind(
    system: MemorySystem, topic: str, service: str
) -> None:
    official, rep = Person.new("Olga Official"), Person.new("Rita Rep")
    await customer_with_a_request(system, official=official, rep=rep)  # the customer is known
    with system.holding(topic, by=service):
        filed = await system.http("intake").post("/requests", json=rep.web_form("Licences"))
        assert filed.status_code == 202, filed.text
        request_id = filed.json()["request_id"]
        await system.settle()
        answer = await system.http("retention").post(
            "/privacy/erasures", headers=STAFF, json={"data_subject_id": "c-r2"}
        )
        assert answer.status_code == 200, answer.text
        await system.settle()
    await system.settle()

    assert await system.database("intake")["requests"].find_one({"_id": request_id})
    view = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert view.status_code == 200 and view.json()["organisation_id"] == "org-acme"
    (certificate,) = [c for c in await certificates(system) if c["scope"]["id"] == "c-r2"]
    assert certificate["remaining_total"] == 0


@pytest.mark.both_layers
async def test_a_representatives_erasure_asked_as_they_file_keeps_the_customers_request(
    system: System,
) -> None:
    """The erasure is asked the moment the representative's web form is accepted. retention
    may not have read the request yet (in memory nothing moves meanwhile): it plans without
    it. intake, which files every request, takes its part only once the request's organisation
    decision has come, and then keeps it as the customer's, as access does, whatever
    retention listed; the certificate says so."""
    official, rep = Person.new("Olga Official"), Person.new("Rita Rep")
    first = await customer_with_a_request(system, official=official, rep=rep)
    filed = await system.http("intake").post("/requests", json=rep.web_form("Licences"))
    assert filed.status_code == 202, filed.text
    request_id = filed.json()["request_id"]
    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": "c-r2"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["erased"] is True, answer.json()
    listed = {k["id"] for k in answer.json()["kept"]}
    assert first in listed and listed <= {first, request_id}
    await system.settle()

    (certificate,) = [c for c in await certificates(system) if c["scope"]["id"] == "c-r2"]
    assert certificate["remaining_total"] == 0
    if request_id not in listed:  # kept by intake and access on their own reading
        for participant in ("intake", "access"):
            kept = certificate["participants"][participant]["kept"]
            assert {"records": "requests", "count": 1, "ground": "customer_records"} in kept
    for kept_id in (first, request_id):
        view = await system.http("access").get(f"/requests/{kept_id}", headers=STAFF)
        assert view.status_code == 200 and view.json()["organisation_id"] == "org-acme"
        assert await system.database("intake")["requests"].find_one({"_id": kept_id})


async def test_a_private_persons_erasure_asked_as_they_file_takes_the_request_once_decided(
    system: MemorySystem,
) -> None:
    """Nobody's request: intake's part waits for the decision (nobody's) and then takes it,
    and names it, so every copy goes."""
    person = Person.new("Petra Private")
    filed = await system.http("intake").post("/requests", json=person.web_form("Printer"))
    assert filed.status_code == 202, filed.text
    await system.settle()
    contact_id = (await system.database("intake")["requests"].find_one({}))["requester_id"]
    again = await system.http("intake").post("/requests", json=person.web_form("Again"))
    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": contact_id}
    )
    assert answer.json()["erased"] is True and answer.json()["kept"] == []
    await system.settle()

    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0 and certificate["kept"] == []
    assert await system.database("intake")["requests"].count_documents({}) == 0
    view = await system.http("access").get(f"/requests/{again.json()['request_id']}", headers=STAFF)
    assert view.status_code == 404
    assert set(await system.plaintext(person.values)) == set()


async def test_a_decision_that_does_not_come_is_awaited_an_hour_at_most(
    system: MemorySystem,
) -> None:
    """access reads nothing: the erasure is held back, and taken up once the request has been
    idle an hour (it then counts as nobody's); access, reading the request at last, makes no
    copy of it."""
    person = Person.new("Petra Private")
    await files(system, person)
    contact_id = (await system.database("intake")["requests"].find_one({}))["requester_id"]
    with system.holding(topics.SUPPORT_REQUESTS, by="access"):
        await system.http("intake").post("/requests", json=person.web_form("Again"))
        await system.settle()
        answer = await system.http("retention").post(
            "/privacy/erasures", headers=STAFF, json={"data_subject_id": contact_id}
        )
        assert answer.json()["erased"] is False and answer.json()["awaiting_organisation_decision"]
        system.clock.advance(timedelta(minutes=59))
        await system.settle()
        assert await certificates(system) == []
        system.clock.advance(timedelta(minutes=2))
        await system.settle()
        (certificate,) = await certificates(system)
        assert certificate["remaining_total"] == 0
    await system.settle()
    assert await system.database("access")["requests"].count_documents({}) == 0
    assert await system.database("intake")["requests"].count_documents({}) == 0
