"""P7 whichever service reads whichever topic late: an organisation's purge still leaves nothing
of the customer's people, and its certificates say so truthfully.

Each service's consumer of each topic is held back in turn (`MemorySystem.holding`) while the
customer's last activity happens and the purge runs: the CRM restates a representative (dated
before the purge), the representative writes in once more, and the CRM says the contract ended
400 days ago. Then everything is read, and the stores and topics are searched for what is left.
One outcome differs by design: when access reads the new request only after the purge, the
membership it would have been filed under is gone, so the request is the person's own (lawful
basis legitimate interest, purged after a year without activity)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import (
    NOW,
    ORG,
    certificates,
    copies_of,
    customer_with_a_request,
    publish,
    terminate,
)

CONSUMED = {
    "intake": (
        topics.ACCESS_MEMBERSHIPS,
        topics.CRM_CONTACTS,
        topics.CRM_CONTRACTS,
        topics.EMAIL_INTAKE,
        topics.PHONE_INTAKE,
        topics.PRIVACY_ERASURE,
        topics.SUPPORT_REQUESTS,
    ),
    "access": (
        topics.CRM_CONTACTS,
        topics.CRM_CONTRACTS,
        topics.CRM_INGRESS,
        topics.PRIVACY_ERASURE,
        topics.SUPPORT_CONTACTS,
        topics.SUPPORT_REQUESTS,
    ),
    "retention": (
        topics.ACCESS_MEMBERSHIPS,
        topics.CRM_CONTRACTS,
        topics.PRIVACY_ERASURE,
        topics.SUPPORT_REQUESTS,
    ),
    "surveys": (
        topics.ACCESS_MEMBERSHIPS,
        topics.PRIVACY_ERASURE,
        topics.SUPPORT_CONTACTS,
        topics.SUPPORT_REQUESTS,
    ),
}
"""Every topic each service reads that the purge's story touches (not exports or holds)."""

EVERY_CONSUMER = [(topic, service) for service, read in CONSUMED.items() for topic in read]
EACH_CONSUMER_BEHIND = pytest.mark.parametrize(("topic", "service"), EVERY_CONSUMER)
"""A test run once with each service's consumer of each of these topics held back."""

KEPT = {  # ids and times only, kept by design (README: erasure)
    "access.organisations",
    "retention.organisation_clocks",
    "retention.person_links",
    "retention.processors",
    "surveys.erased_subjects",
}
OWN_REQUEST = ("support.requests", "access")


async def left_of_the_customer(system: MemorySystem) -> set[str]:
    """Every collection still holding something, but bookkeeping of ids and times."""
    found = set()
    for service in CONSUMED:
        database = system.database(service)
        for name in await database.list_collection_names():
            bookkeeping = name.startswith("erased_") or name in {
                "outbox",
                "erasure_progress",
                "processed_events",
                "upgrades",
                "membership_latches",
                "purges",
                "deletion_certificates",
                "audit_log",
            }
            if not bookkeeping and await database[name].count_documents({}):
                found.add(f"{service}.{name}")
    return found - KEPT


@EACH_CONSUMER_BEHIND
async def test_an_organisations_purge_with_one_consumer_behind(
    system: MemorySystem, topic: str, service: str
) -> None:
    consumed = {c.topic for c in system.services[service].runtime.consumers}
    assert topic in consumed  # the table above follows the services' wiring
    official, rep = Person.new("Olga Official"), Person.new("Rita Rep", phone="+4722334499")
    await customer_with_a_request(system, official=official, rep=rep)
    publish(system, producers.phone_call(rep, at=NOW - timedelta(days=3)))
    await system.settle()

    with system.holding(topic, by=service):
        publish(system, producers.contact_upserted(ORG, "c-r2", rep, at=NOW - timedelta(hours=2)))
        again = await system.http("intake").post("/requests", json=rep.web_form("Once more"))
        assert again.status_code == 202, again.text
        await system.settle()
        await terminate(system, days_ago=400)
    await system.settle()

    certified = await certificates(system)
    assert certified and all(c["remaining_total"] == 0 for c in certified), certified
    readable = set(await system.plaintext([*official.values, *rep.values]))
    left = await left_of_the_customer(system)
    if (topic, service) == OWN_REQUEST:
        copies = await copies_of(system, again.json()["request_id"])
        assert copies["access"] == (None, "legitimate_interest")
        assert copies["retention"] == (None, "inactivity") and copies["purge_due_at"]
        return
    assert readable <= {topics.CRM_INGRESS, topics.PHONE_INTAKE}, readable  # kept days
    assert left == set(), left
