"""P4, P5, P11: a customer's representatives, through the real producers (a CRM on crm.ingress,
the web form, a phone call), in memory (and, where marked, as real processes): named by the
order form and the CRM, known by their number, leaving, moving, erased under the CRM's id.

The policy: "For customer representatives, we initially collect personal information from the
order form given to us by the customer. We update this information when requested by a
customer." Their cases are kept, and "our lawful reason for the processing is the contractual
relationship between us and our customers."
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import STAFF
from tests.support.producers import Person
from tests.unit.policy.customers import NOW as NOW  # where the `system` fixture's clock starts
from tests.unit.policy.customers import (
    ORG,
    SIGNED,
    System,
    calls,
    certificates,
    copies_of,
    customer_with_a_request,
    export_of,
    file_of,
    moment_passes,
    publish,
    terminate,
    with_a_file,
)


@pytest.mark.both_layers
async def test_a_representatives_erasure_under_the_crms_id_covers_every_id_they_have(
    system: System,
) -> None:
    """P11 with P7: the CRM knows the representative as c-r2, intake as the contact their first
    web request made; their account links the two. An erasure asked under the CRM's id erases
    the request they filed after leaving, under the other id, and says that the one they filed
    as a member stays with the organisation."""
    rep = Person.new("Two Ids", phone="+4791112222")
    as_member = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    publish(
        system, producers.contact_left(ORG, "c-r2", at=system.clock.now() + timedelta(seconds=1))
    )
    await system.settle()
    await moment_passes(system)
    after = await system.http("intake").post("/requests", json=rep.web_form("Private now"))
    assert after.status_code == 202, after.text
    await system.settle()
    own = after.json()["request_id"]
    assert (await copies_of(system, own))["retention"] == (None, "inactivity")
    intake_id = (await system.database("intake")["requests"].find_one({"_id": own}))["requester_id"]

    corrected = {"full_name": "Two Ids Rettet", "email": rep.email}  # so does rectification
    rectified = await system.http("retention").post(
        "/privacy/rectifications",
        headers=STAFF,
        json={"data_subject_id": "c-r2", "details": corrected},
    )
    assert rectified.status_code == 202, rectified.text
    await system.settle()
    export = await export_of(system, "c-r2")  # the access right covers every id as well
    (other,) = export["other_data_subject_ids"]
    assert other["data_subject_id"] == intake_id and other["missing"] == []
    filed = {r["_id"] for r in other["services"]["intake"]["requests"]}
    assert filed == {as_member, own}
    assert "Two Ids Rettet" in str(other["services"]["intake"]["contact"])

    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": "c-r2"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kept"] == [
        {"kind": "request", "id": as_member, "ground": "customer_records"}
    ]
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0
    assert certificate["participants"]["intake"]["counts"]["requests"] == 1
    assert certificate["participants"]["retention"]["counts"]["retention_clocks"] == 1
    access = system.http("access")
    assert (await access.get(f"/requests/{own}", headers=STAFF)).status_code == 404
    kept = await access.get(f"/requests/{as_member}", headers=STAFF)
    assert kept.status_code == 200 and kept.json()["organisation_id"] == ORG
    assert await system.database("intake")["requests"].find_one({"_id": own}) is None
    assert await system.database("surveys")["survey_candidates"].find_one({"_id": own}) is None
    clock = await system.http("retention").get(f"/retention/requests/{own}", headers=STAFF)
    assert clock.status_code == 404
    # the number intake knew them by as the customer's representative goes too
    named = system.database("intake")["representatives"]
    assert await named.count_documents({"contact_id": "c-r2"}) == 0
    # and so does surveys' note that the two ids were one person (P9)
    assert certificate["participants"]["surveys"]["counts"]["person_links"] == 1
    linked = system.database("surveys")["person_links"]
    assert await linked.count_documents({"contact_ids": {"$in": ["c-r2", intake_id]}}) == 0


@pytest.mark.both_layers
async def test_a_representatives_new_email_from_the_crm_is_their_login_and_the_same_person(
    system: System,
) -> None:
    """P4, P3, P11: the customer tells the CRM its representative's new address. Their account
    logs in with it, and their first mail or web request from it joins that account: the
    request is the customer's, and the CRM's id covers both of their contacts."""
    rep = Person.new("Moving Mona")
    first = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    moved = Person(rep.full_name, f"new.{rep.email}")
    publish(system, producers.contact_upserted(ORG, "c-r2", moved, at=system.clock.now()))
    await system.settle()
    accounts = system.database("access")["accounts"]
    account = await accounts.find_one({"contact_ids": "c-r2"})
    assert account["email_normalised"] == moved.email

    sent = await system.http("intake").post("/requests", json=moved.web_form("New address"))
    assert sent.status_code == 202, sent.text
    await system.settle()
    later = sent.json()["request_id"]
    assert (await copies_of(system, later))["intake"] == (ORG, "contract")
    (account,) = await accounts.find({"contact_ids": "c-r2"}).to_list()
    requesters = {
        (await system.database("intake")["requests"].find_one({"_id": r}))["requester_id"]
        for r in (first, later)
    }
    assert len(requesters) == 2 and set(account["contact_ids"]) == {"c-r2", *requesters}
    export = await export_of(system, "c-r2")
    assert {o["data_subject_id"] for o in export["other_data_subject_ids"]} == requesters
    # the CRM's older statement, delivered again late, changes nothing
    before = system.clock.now() - timedelta(hours=1)
    publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=before))
    await system.settle()
    assert (await accounts.find_one({"contact_ids": "c-r2"}))["email_normalised"] == moved.email


async def order_form_names(system: System, rep: Person, *, as_contact: str) -> None:
    """The customer signs; its order form names an official contact and this representative."""
    publish(
        system,
        producers.contract_signed(
            ORG,
            representatives={"c-r1": Person.new("O"), as_contact: rep},
            official="c-r1",
            signed_at=SIGNED,
        ),
    )
    await system.settle()


async def test_a_former_representatives_account_goes_with_their_last_request(
    system: System,
) -> None:
    """P8 after P4: once they left the organisation, their membership keeps nothing of theirs;
    their own request, a year idle, takes their contact and account with it."""
    rep = Person.new("Former Frode")
    await order_form_names(system, rep, as_contact="c-f")
    publish(system, producers.contact_left(ORG, "c-f", at=system.clock.now()))
    await system.settle()
    system.clock.advance(timedelta(hours=1))  # type: ignore[union-attr]
    own = await system.http("intake").post("/requests", json=rep.web_form("Private"))
    assert own.status_code == 202, own.text
    await system.settle()
    accounts = system.database("access")["accounts"]
    assert await accounts.count_documents({"contact_ids": "c-f"}) == 1
    system.clock.advance(timedelta(days=366))  # type: ignore[union-attr]
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "request", "id": own.json()["request_id"]}
    assert certificate["participants"]["access"]["kept"] == []
    assert await accounts.count_documents({"contact_ids": "c-f"}) == 0
    # what stays is the organisation's record of who represented it when (P7), until its purge
    assert set(await system.plaintext([rep.email])) <= {
        topics.CRM_INGRESS,
        "access.representatives",
    }


@pytest.mark.both_layers
async def test_a_representative_who_calls_from_the_order_forms_number_is_the_customers(
    system: System,
) -> None:
    """P1, P4, P5: the order form gives the representative's number; the agent logs their call
    with that number and their name only. The call is their request, the customer's in every
    service; the organisation's purge takes the number intake matched them by."""
    rep = Person.new("Calling Carla", phone="+47 912 34 567")
    await order_form_names(system, rep, as_contact="c-r2")
    request_id = await calls(system, rep)
    assert request_id is not None
    copies = await copies_of(system, request_id)
    assert copies["access"] == copies["intake"] == (ORG, "contract")
    assert copies["retention"] == (ORG, "customer_relationship")
    stored = await system.database("intake")["requests"].find_one({"_id": request_id})
    assert stored["channel"] == "phone"
    contact = await system.database("intake")["contacts"].find_one({"_id": stored["requester_id"]})
    assert (contact["email"], contact["full_name"]) == (rep.email, rep.full_name)
    exported = (await export_of(system, "c-r2"))["services"]["intake"]["representative_of"]
    assert [(e["organisation_id"], e["phone_e164"]) for e in exported] == [(ORG, "+4791234567")]
    # a number nobody is known by, without an email, opens nothing (it is dead-lettered)
    assert await calls(system, Person.new("Nobody Known", phone="+47 913 00 000")) is None

    await terminate(system, days_ago=366)
    (certificate,) = await certificates(system)
    assert certificate["participants"]["intake"]["counts"]["representatives"] == 2  # both named
    assert certificate["remaining_total"] == 0
    assert await system.database("intake")["representatives"].count_documents({}) == 0
    left = await system.plaintext(rep.values)
    assert set(left) <= {topics.PHONE_INTAKE, topics.CRM_INGRESS}, left


async def test_a_representative_who_left_is_no_longer_known_by_their_number(
    system: System,
) -> None:
    """P4: once the CRM says they left, intake forgets the number it knew them by; a call from
    it without an email is unusable (dead-lettered with its reason), as from anyone unknown."""
    rep = Person.new("Gone Gina", phone="+47 912 34 568")
    await customer_with_a_request(system, official=Person.new("O"), rep=Person.new("R"))
    publish(system, producers.contact_upserted(ORG, "c-g", rep, at=system.clock.now()))
    await system.settle()
    system.clock.advance(timedelta(days=1))  # type: ignore[union-attr]
    publish(system, producers.contact_left(ORG, "c-g", at=system.clock.now()))
    # the upsert delivered again late changes nothing
    publish(
        system,
        producers.contact_upserted(ORG, "c-g", rep, at=system.clock.now() - timedelta(hours=1)),
    )
    await system.settle()
    assert await calls(system, rep) is None
    entry = await system.database("intake")["representatives"].find_one({"contact_id": "c-g"})
    assert (entry["phone_e164"], entry["details"]) == (None, None)


@pytest.mark.both_layers
async def test_a_representatives_erasure_keeps_the_customers_request_with_its_file(
    system: System,
) -> None:
    """P7 keeps "the requests, their messages and attachments" for the customer relationship,
    and P11 honours it: a representative's erasure leaves the customer's request whole, the
    file they sent with it too, although their own key is shredded."""
    rep = Person.new("Filing Frida")
    await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    content = b"error log of the customer's server\n"
    with_file = await with_a_file(system, rep, content)
    assert (await copies_of(system, with_file))["intake"] == (ORG, "contract")
    assert await file_of(system, with_file) == (200, content)

    view = await system.http("access").get(f"/requests/{with_file}", headers=STAFF)
    answer = await system.http("retention").post(  # as they would ask: under their own id
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": view.json()["requester_id"]}
    )
    assert answer.status_code == 200, answer.text
    assert {k["id"]: k["ground"] for k in answer.json()["kept"]}[with_file] == "customer_records"
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0 and certificate["keys_shredded"] >= 1
    assert await file_of(system, with_file) == (200, content)
    # the organisation's purge takes the file with the request
    await terminate(system, days_ago=366)
    assert len(await certificates(system)) == 2
    attachments = system.database("intake")["attachments"]
    assert await attachments.find_one({"request_id": with_file}) is None


async def test_a_person_representing_two_customers_keeps_their_account_for_the_other(
    system: System,
) -> None:
    """Their request is one organisation's (the one they represented when they wrote; the
    first by id of the two); its purge keeps their account for the other, still a customer."""
    rep = Person.new("Double Dora")
    other = f"{ORG}-zz"  # sorts after ORG
    for organisation, contact in ((ORG, "c-a"), (other, "c-b")):
        publish(
            system,
            producers.contract_signed(
                organisation, representatives={contact: rep}, official=contact, signed_at=SIGNED
            ),
        )
    await system.settle()
    written = await system.http("intake").post("/requests", json=rep.web_form())
    await system.settle()
    assert (await copies_of(system, written.json()["request_id"]))["intake"] == (ORG, "contract")
    await terminate(system, days_ago=366)
    (certificate,) = await certificates(system)
    assert certificate["participants"]["access"]["kept"] == [
        {"records": "accounts", "count": 1, "ground": "customer_membership"}
    ]
    assert certificate["remaining_total"] == 0
    assert await system.database("access")["accounts"].count_documents({}) == 1
