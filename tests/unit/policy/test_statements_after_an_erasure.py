"""P7 and P11 after an erasure: what the CRM said of an organisation's people before the
organisation's purge, or before a representative's own erasure, arriving after it, brings nobody
back; through the real producers (a CRM on crm.ingress, the web form, a phone call) in the four
services.

The CRM's contract and contact statements travel on two topics (`crm.contracts`,
`crm.contacts`), each consumed at its own pace, and the CRM may deliver one late. A statement
dated before the erasure is older news than the erasure: it must not re-create a membership, an
account, a set-password mail or a phone match. A person of a purged customer who writes in
later is an individual again (lawful basis legitimate interest, the inactivity rule), not a
customer whose records are kept for the length of a relationship that ended. What the CRM says
after the erasure is the customer's new word, and is taken.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import (
    NOW,
    ORG,
    SIGNED,
    System,
    calls,
    certificates,
    copies_of,
    customer_with_a_request,
    moment_passes,
    publish,
    terminate,
)
from tests.unit.policy.threads import erase, key_kept


async def purged_customer(system: System, rep: Person) -> None:
    """A customer whose representative wrote in, its contract ended 400 days ago: purged."""
    await customer_with_a_request(system, official=Person.new("Olga Official"), rep=rep)
    await terminate(system, days_ago=400)
    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "organisation", "id": ORG}
    assert certificate["remaining_total"] == 0


async def records_of_the_customer(system: System, rep: Person) -> dict[str, Any]:
    """What access and intake hold of the organisation's people, and where the rep's details
    are readable (the CRM's own way in, which keeps records days, aside)."""
    access, intake = system.database("access"), system.database("intake")
    readable = await system.plaintext(rep.values)
    return {
        "access.representatives": await access["representatives"].count_documents(
            {"organisation_id": ORG}
        ),
        "access.accounts": await access["accounts"].count_documents({"_id": "c-r2"}),
        "access.mailbox": await access["mailbox"].count_documents({"account_id": "c-r2"}),
        "intake.representatives": await intake["representatives"].count_documents(
            {"organisation_id": ORG}
        ),
        "readable": sorted(set(readable) - {topics.CRM_INGRESS}),
    }


NONE_LEFT = {
    "access.representatives": 0,
    "access.accounts": 0,
    "access.mailbox": 0,
    "intake.representatives": 0,
    "readable": [],
}


async def writes_in_as_an_individual(system: System, rep: Person) -> None:
    """The former representative writes in on the web form: not the customer's request."""
    await moment_passes(system)
    accepted = await system.http("intake").post("/requests", json=rep.web_form())
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    copies = await copies_of(system, accepted.json()["request_id"])
    assert copies["access"] == (None, "legitimate_interest")
    assert copies["intake"] == (None, "legitimate_interest")
    assert copies["retention"] == (None, "inactivity")
    assert copies["surveys"] is None
    assert copies["purge_due_at"] is not None  # a year after its last activity


@pytest.mark.both_layers
async def test_statements_the_crm_delivers_after_the_purge_bring_nobody_back(
    system: System,
) -> None:
    rep = Person.new("Late Lena", phone="+4722334466")
    await purged_customer(system, rep)
    before_the_purge = NOW - timedelta(days=1)
    publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=before_the_purge))
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-r2": rep}, official="c-r2", signed_at=SIGNED
        ),
    )
    publish(system, producers.contact_left(ORG, "c-r1", at=before_the_purge))
    await system.settle()

    assert await records_of_the_customer(system, rep) == NONE_LEFT
    assert not await key_kept(system, "c-r2")  # not sealed again under a new key
    republished = [e.type for e in await system.events(topics.CRM_CONTACTS)]
    assert "crm.contact.upserted.v1" not in republished  # no details sealed again
    assert await calls(system, rep) is None  # the number names nobody now
    await writes_in_as_an_individual(system, rep)


async def test_a_statement_consumed_after_the_purge_re_creates_nothing(
    system: MemorySystem,
) -> None:
    """The statement came in before the purge and was republished sealed, but its topic's
    consumers lag: they read it after the purge, with the key it was sealed with shredded."""
    rep = Person.new("Slow Siri", phone="+4722334477")
    await customer_with_a_request(system, official=Person.new("Olga Official"), rep=rep)
    with system.holding(topics.CRM_CONTACTS):
        publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=NOW - timedelta(days=1)))
        publish(system, producers.contact_left(ORG, "c-r1", at=NOW - timedelta(hours=1)))
        await system.settle()
        await terminate(system, days_ago=400)
        (certificate,) = await certificates(system)
        assert certificate["remaining_total"] == 0
        assert len(await system.events(topics.CRM_CONTACTS)) == 2  # waiting to be read
    await system.settle()

    assert await records_of_the_customer(system, rep) == NONE_LEFT
    await writes_in_as_an_individual(system, rep)


@pytest.mark.both_layers
async def test_a_statement_from_before_a_representatives_erasure_brings_them_back_nowhere(
    system: System,
) -> None:
    """The representative's own erasure takes their membership, account and phone match (their
    customer's request stays, a customer record); the CRM's word from before it changes
    nothing, the CRM's word after it is taken."""
    rep = Person.new("Gone Greta", phone="+4722334488")
    await customer_with_a_request(system, official=Person.new("Olga Official"), rep=rep)
    certificate = await erase(system, "c-r2")
    assert certificate["remaining_total"] == 0
    gone = await records_of_the_customer(system, rep)
    assert gone["access.representatives"] == gone["intake.representatives"] == 1  # the official's
    assert gone["access.accounts"] == gone["access.mailbox"] == 0

    publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=NOW - timedelta(days=1)))
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-r2": rep}, official="c-r2", signed_at=SIGNED
        ),
    )
    await system.settle()
    assert await records_of_the_customer(system, rep) == gone
    assert not await key_kept(system, "c-r2")

    await moment_passes(system)
    publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=system.clock.now()))
    await system.settle()
    again = await records_of_the_customer(system, rep)
    assert (again["access.representatives"], again["intake.representatives"]) == (2, 2)
    assert again["access.accounts"] == 1  # the customer named them again: a new account


async def test_a_returning_customer_is_remembered_from_its_last_purge(
    system: MemorySystem,
) -> None:
    """Purged, signed again, purged again: a statement of the second relationship, read after
    the second purge, is older than that purge, not newer than the first."""
    await purged_customer(system, Person.new("First Frida"))
    await moment_passes(system)
    back = Person.new("Back Bjorn", phone="+4799887766")
    signed_again = system.clock.now()
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-back": back}, official="c-back", signed_at=signed_again
        ),
    )
    await system.settle()
    with system.holding(topics.CRM_CONTACTS):
        publish(system, producers.contact_upserted(ORG, "c-back", back, at=signed_again))
        await system.settle()
        await moment_passes(system)
        await terminate(system, days_ago=366)
        assert len(await certificates(system)) == 2
    await system.settle()
    for service in ("access", "intake"):  # not even an entry of ids
        assert await system.database(service)["representatives"].count_documents({}) == 0
