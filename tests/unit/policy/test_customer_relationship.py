"""P5, P7: a customer's requests, through the real producers (a CRM on crm.ingress, the web form,
a phone call), in the four services wired in memory.

The policy: "For official customer requests, we will retain historical records for the duration
of the customer relationship, even if a customer representative leaves his or her organization.
If a customer terminates their contract with itslearning, we will retain the data for one year,
unless it is necessary for us to keep it to comply with our legal obligations, or resolve
contractual disputes." Lawful basis: "the contractual relationship between us and our customers".
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem

System = MemorySystem | RealSystem

NOW = datetime.now(UTC).replace(microsecond=0)  # the real layer runs on the wall clock
SIGNED = NOW - timedelta(days=800)
ORG = "org-acme"


def publish(system: System, produced: tuple[str, Any]) -> None:
    system.publish(*produced)


async def customer_with_a_request(system: System, *, official: Person, rep: Person) -> str:
    """The order form names two representatives; the second writes in on the web form."""
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-r1": official, "c-r2": rep}, official="c-r1", signed_at=SIGNED
        ),
    )
    await system.settle()
    accepted = await system.http("intake").post("/requests", json=rep.web_form())
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    return str(accepted.json()["request_id"])


async def copies_of(system: System, request_id: str) -> dict[str, Any]:
    """Each service's view of the request: its organisation and lawful basis."""
    view = (await system.http("access").get(f"/requests/{request_id}", headers=STAFF)).json()
    clock = await system.http("retention").get(f"/retention/requests/{request_id}", headers=STAFF)
    intake = await system.database("intake")["requests"].find_one({"_id": request_id})
    candidate = await system.database("surveys")["survey_candidates"].find_one({"_id": request_id})
    return {
        "access": (view["organisation_id"], view["lawful_basis"]),
        "intake": (intake["organisation_id"], intake["lawful_basis"]),
        "retention": (clock.json()["organisation_id"], clock.json()["rule"]),
        "surveys": candidate["organisation_id"],
        "purge_due_at": clock.json()["purge_due_at"],
    }


async def terminate(system: System, *, days_ago: int) -> None:
    """The CRM says the contract ended `days_ago` days before today."""
    now = system.clock.now()
    ended = (now - timedelta(days=days_ago)).date()
    publish(system, producers.contract_terminated(ORG, termination_date=ended, at=now))
    await system.settle()


async def moment_passes(system: System) -> None:
    """Two seconds go by: on the memory layer's clock, or on the wall clock."""
    if isinstance(system, MemorySystem):
        system.clock.advance(timedelta(seconds=2))
    else:
        await asyncio.sleep(2)


async def export_of(system: System, person: str) -> dict[str, Any]:
    """A person's export, asked for by support staff and downloaded once it is ready."""
    retention = system.http("retention")
    asked = await retention.post(
        "/privacy/exports", headers=STAFF, json={"data_subject_id": person}
    )
    assert asked.status_code == 202, asked.text
    await system.settle()
    export_id = asked.json()["export_id"]
    link = await retention.post(f"/privacy/exports/{export_id}/link", headers=STAFF)
    assert link.status_code == 201, link.text
    downloaded = await retention.get(link.json()["download_url"])
    assert downloaded.status_code == 200, downloaded.text
    return dict(downloaded.json())


async def certificates(system: System) -> list[dict[str, Any]]:
    return [
        document
        async for document in system.database("retention")["deletion_certificates"].find({})
    ]


async def test_a_representatives_request_is_the_customers_in_every_service(
    system: System,
) -> None:
    """P5: lawful basis contract, and retention follows the contract, not inactivity."""
    request_id = await customer_with_a_request(
        system, official=Person.new("Olga Official"), rep=Person.new("Rita Rep")
    )
    copies = await copies_of(system, request_id)
    assert copies["access"] == (ORG, "contract")
    assert copies["intake"] == (ORG, "contract")
    assert copies["retention"] == (ORG, "customer_relationship")
    assert copies["surveys"] == ORG
    assert copies["purge_due_at"] is None


async def test_a_representative_named_after_writing_in_makes_the_request_the_customers(
    system: System,
) -> None:
    """The membership can become known after the request: it is the customer's from then on."""
    rep = Person.new("Late Larsen")
    accepted = await system.http("intake").post("/requests", json=rep.web_form())
    await system.settle()
    request_id = accepted.json()["request_id"]
    before = await copies_of(system, request_id)
    assert before["retention"] == (None, "inactivity")
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-9": rep}, official="c-9", signed_at=SIGNED
        ),
    )
    await system.settle()
    after = await copies_of(system, request_id)
    assert after["intake"] == (ORG, "contract")
    assert after["retention"] == (ORG, "customer_relationship")
    assert after["surveys"] == ORG


@pytest.mark.both_layers
async def test_an_organisation_purge_removes_every_copy_and_the_representatives(
    system: System,
) -> None:
    official, rep = Person.new("Olga Official"), Person.new("Rita Rep", phone="+4722334455")
    request_id = await customer_with_a_request(system, official=official, rep=rep)
    publish(system, producers.phone_call(rep, at=NOW - timedelta(days=3)))
    await system.settle()
    stored_before = await system.plaintext([*official.values, *rep.values])
    assert stored_before, "the representatives' data was stored"

    await terminate(system, days_ago=366)

    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "organisation", "id": ORG}
    assert certificate["remaining_total"] == 0
    assert all(not any(p["remaining"].values()) for p in certificate["participants"].values())
    assert certificate["participants"]["intake"]["counts"]["requests"] == 2
    assert certificate["participants"]["intake"]["counts"]["contacts"] == 1
    assert certificate["participants"]["access"]["counts"]["request_views"] == 2
    assert certificate["participants"]["access"]["counts"]["accounts"] == 2
    assert certificate["participants"]["retention"]["counts"]["retention_clocks"] == 2
    assert certificate["participants"]["surveys"]["counts"]["contacts"] == 1
    gone = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert gone.status_code == 404
    left = await system.plaintext([*official.values, *rep.values])
    assert set(left) <= {topics.CRM_INGRESS, topics.PHONE_INTAKE}, left  # ingress: kept days


@pytest.mark.both_layers
async def test_a_contract_event_delivered_after_the_purge_brings_nothing_back(
    system: System,
) -> None:
    """The CRM's termination reaches retention (due at once: ended 400 days ago) before it
    reaches access on its other topic: access must not keep a record of the purged customer."""
    await customer_with_a_request(system, official=Person.new("O"), rep=Person.new("Late Lars"))
    await terminate(system, days_ago=400)
    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0
    late = NOW - timedelta(days=1)  # dated before the purge, delivered after it
    publish(system, producers.contract_terminated(ORG, termination_date=late.date(), at=late))
    await system.settle()
    kept = await system.database("access")["organisations"].find_one({"_id": ORG})
    assert kept is not None and set(kept) == {"_id", "erased_at", "status_at"}  # id and time

    newcomer = Person.new("New Nina")  # a new contract, after the purge, starts afresh
    publish(
        system,
        producers.contract_signed(
            ORG,
            representatives={"c-new": newcomer},
            official="c-new",
            signed_at=system.clock.now() + timedelta(seconds=1),
        ),
    )
    await system.settle()
    renewed = await system.database("access")["organisations"].find_one({"_id": ORG})
    assert renewed["contract_status"] == "signed" and "erased_at" not in renewed


@pytest.mark.both_layers
async def test_a_customer_who_signs_again_after_its_purge_is_purged_again_when_that_ends(
    system: System,
) -> None:
    """P7 for a returning customer: the first purge leaves the organisation's id behind, and a
    new contract signed afterwards is a new customer relationship. Its requests are kept while it
    runs and purged a year after it ends, like the first one's."""
    await customer_with_a_request(system, official=Person.new("O"), rep=Person.new("First Frida"))
    await terminate(system, days_ago=400)
    (first,) = await certificates(system)
    assert first["remaining_total"] == 0

    signed_again = system.clock.now() + timedelta(seconds=1)
    back = Person.new("Back Bjorn", phone="+4799887766")
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-back": back}, official="c-back", signed_at=signed_again
        ),
    )
    await system.settle()
    await moment_passes(system)  # Bjorn writes in after signing
    accepted = await system.http("intake").post("/requests", json=back.web_form())
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    request_id = accepted.json()["request_id"]
    copies = await copies_of(system, request_id)
    assert copies["retention"] == (ORG, "customer_relationship")
    assert copies["purge_due_at"] is None
    state = await system.http("retention").get(f"/retention/organisations/{ORG}", headers=STAFF)
    assert state.json()["contract_state"] == "active" and state.json()["purge_id"] is None

    await terminate(system, days_ago=366)
    (second,) = [c for c in await certificates(system) if c["_id"] != first["_id"]]
    assert second["remaining_total"] == 0
    assert second["participants"]["intake"]["counts"]["requests"] == 1
    assert second["participants"]["access"]["counts"]["accounts"] == 1
    gone = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert gone.status_code == 404
    left = await system.plaintext(back.values)
    assert set(left) <= {topics.CRM_INGRESS}, left  # the CRM's clear text: kept days


async def test_nothing_is_purged_while_the_contract_runs_or_before_a_year_has_passed(
    system: System,
) -> None:
    rep = Person.new("Idle Ida")
    request_id = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    system.clock.advance(timedelta(days=800))  # idle for two years, the contract running
    await system.settle()
    assert (await copies_of(system, request_id))["retention"] == (ORG, "customer_relationship")
    await terminate(system, days_ago=364)
    assert await certificates(system) == []  # 364 days after the termination date is not due
    assert (
        await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    ).status_code == 200


async def test_a_reinstated_contract_cancels_the_purge(system: System) -> None:
    rep = Person.new("Rein Stated")
    request_id = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    publish(
        system,
        producers.contract_terminated(
            ORG, termination_date=(NOW - timedelta(days=300)).date(), at=NOW - timedelta(days=300)
        ),
    )
    publish(system, producers.contract_reinstated(ORG, at=NOW - timedelta(days=200)))
    await system.settle()
    system.clock.advance(timedelta(days=100))
    await system.settle()
    assert await certificates(system) == []
    assert (
        await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    ).status_code == 200


async def test_a_legal_hold_on_the_organisation_keeps_everything_until_released(
    system: System,
) -> None:
    rep = Person.new("Held Hansen")
    request_id = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    topic, placed = producers.hold_placed("organisation", ORG, at=NOW)
    system.publish(topic, placed)
    await terminate(system, days_ago=400)
    assert await certificates(system) == []
    assert (await system.plaintext(rep.values)).get("intake.contacts")
    system.publish(*producers.hold_released(placed.subject, at=NOW))
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0
    assert (
        await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    ).status_code == 404


async def test_a_representative_who_is_also_a_private_requester_keeps_their_private_request(
    system: System,
) -> None:
    """Their customer requests go with the organisation; their own request and contact stay."""
    rep = Person.new("Both Berg")
    private = await system.http("intake").post("/requests", json=rep.web_form("Private matter"))
    await system.settle()
    system.clock.advance(timedelta(days=1))  # then the customer names them on its order form
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-b": rep}, official="c-b", signed_at=system.clock.now()
        ),
    )
    await system.settle()
    customer = await system.http("intake").post("/requests", json=rep.web_form("For work"))
    await system.settle()
    await terminate(system, days_ago=366)
    (certificate,) = await certificates(system)
    intake = certificate["participants"]["intake"]
    assert intake["counts"]["requests"] == 1
    assert intake["kept"] == [{"records": "contacts", "count": 1, "ground": "other_requests"}]
    access = system.http("access")
    assert (
        await access.get(f"/requests/{customer.json()['request_id']}", headers=STAFF)
    ).status_code == 404
    kept = await access.get(f"/requests/{private.json()['request_id']}", headers=STAFF)
    assert kept.status_code == 200 and kept.json()["lawful_basis"] == "legitimate_interest"


async def test_a_representative_who_leaves_leaves_their_requests_with_the_organisation(
    system: System,
) -> None:
    """P6, P7: what they filed as a member stays the organisation's; what they file after
    leaving is their own (legitimate interest, the inactivity rule)."""
    rep = Person.new("Leaving Lars")
    as_member = await customer_with_a_request(system, official=Person.new("O"), rep=rep)
    system.clock.advance(timedelta(days=1))  # type: ignore[union-attr]
    publish(system, producers.contact_left(ORG, "c-r2", at=system.clock.now()))
    await system.settle()
    system.clock.advance(timedelta(hours=1))  # type: ignore[union-attr]
    after = await system.http("intake").post("/requests", json=rep.web_form("Private now"))
    await system.settle()
    kept = await copies_of(system, as_member)
    assert kept["intake"] == (ORG, "contract") and kept["retention"] == (
        ORG,
        "customer_relationship",
    )
    own = await copies_of(system, after.json()["request_id"])
    assert own["intake"] == (None, "legitimate_interest")
    assert own["access"] == (None, "legitimate_interest")
    assert own["retention"] == (None, "inactivity")


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


async def calls(system: System, person: Person) -> str | None:
    """The telephony system logs a call from the person's number with their name but no
    email; the request it opened, if any."""
    before = await system.database("intake")["requests"].distinct("_id")
    system.publish(*producers.phone_call(person, at=system.clock.now(), with_email=False))
    await system.settle()
    after = await system.database("intake")["requests"].distinct("_id")
    opened = set(after) - set(before)
    return str(opened.pop()) if opened else None


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


async def with_a_file(system: System, person: Person, content: bytes) -> str:
    """The person writes in on the web form with a text file; the request's id."""
    files = [("files", ("log.txt", content, "text/plain"))]
    sent = await system.http("intake").post("/form", data=person.web_form(), files=files)
    assert sent.status_code == 201, sent.text
    await system.settle()
    reference = "SR-" + sent.text.split("<strong>SR-", 1)[1].split("<", 1)[0]
    found = await system.database("intake")["requests"].find_one({"reference": reference})
    return str(found["_id"])


async def file_of(system: System, request_id: str) -> tuple[int, bytes]:
    """Support staff download the request's file: access grants, intake serves."""
    view = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    (attachment,) = view.json()["attachments"]
    grant = await system.http("access").post(
        f"/requests/{request_id}/attachments/{attachment['attachment_id']}/download-grant",
        headers=STAFF,
    )
    assert grant.status_code == 201, grant.text
    served = await system.http("intake").get(grant.json()["download_path"])
    return served.status_code, served.content


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
