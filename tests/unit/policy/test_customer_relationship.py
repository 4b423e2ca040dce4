"""P5, P7: a customer's requests, through the real producers (a CRM on crm.ingress, the web form,
a phone call), in the four services wired in memory.

The policy: "For official customer requests, we will retain historical records for the duration
of the customer relationship, even if a customer representative leaves his or her organization.
If a customer terminates their contract with itslearning, we will retain the data for one year,
unless it is necessary for us to keep it to comply with our legal obligations, or resolve
contractual disputes." Lawful basis: "the contractual relationship between us and our customers".
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import STAFF
from tests.support.producers import Person
from tests.unit.policy.customers import (
    NOW,
    ORG,
    SIGNED,
    System,
    certificates,
    copies_of,
    customer_with_a_request,
    moment_passes,
    publish,
    terminate,
)


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
    state = await system.http("retention").get(f"/retention/organisations/{ORG}", headers=STAFF)
    purge = {k: state.json()[k] for k in ("purge_id", "purging", "purge_state")}
    assert purge == {"purge_id": second["_id"], "purging": False, "purge_state": "certified"}
    gone = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert gone.status_code == 404
    left = await system.plaintext(back.values)
    assert set(left) <= {topics.CRM_INGRESS}, left  # the CRM's clear text: kept days

    # a statement from the second relationship, delivered after its purge, is older news
    publish(system, producers.contact_upserted(ORG, "c-back", back, at=signed_again))
    await system.settle()
    left = await system.plaintext(back.values)
    assert set(left) <= {topics.CRM_INGRESS}, left
    for service in ("access", "intake"):  # not even an entry of ids
        assert await system.database(service)["representatives"].count_documents({}) == 0


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
