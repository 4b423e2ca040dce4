"""P7: a request access found to be a customer's before the customer's purge, whose decision
reaches intake, retention and surveys only after it (`access.memberships` and
`support.requests` are consumed at their own pace), is purged too: retention finds it due at
once and erases it everywhere, with a certificate of its own; through the real producers (a CRM
on crm.ingress, the web form) in the four services."""

from __future__ import annotations

from shared import topics
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import NOW as NOW  # the system fixture's clock
from tests.unit.policy.customers import certificates, customer_with_a_request, terminate


async def copies(system: MemorySystem, request_id: str) -> dict[str, int]:
    places = {
        ("intake", "requests"): {"_id": request_id},
        ("intake", "messages"): {"request_id": request_id},
        ("access", "request_views"): {"_id": request_id},
        ("retention", "retention_clocks"): {"_id": request_id},
        ("surveys", "survey_candidates"): {"_id": request_id},
    }
    return {
        f"{service}.{name}": await system.database(service)[name].count_documents(query)
        for (service, name), query in places.items()
    }


async def test_a_request_the_purge_missed_for_a_late_decision_is_purged_on_its_own(
    system: MemorySystem,
) -> None:
    rep = Person.new("Rita Rep")
    await customer_with_a_request(system, official=Person.new("Olga Official"), rep=rep)
    with system.holding(topics.ACCESS_MEMBERSHIPS):
        accepted = await system.http("intake").post("/requests", json=rep.web_form("Again"))
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]
        await system.settle()
        await terminate(system, days_ago=400)
        (purge,) = await certificates(system)
        assert purge["remaining_total"] == 0  # by the organisation's tag, which intake lacked
        missed = await copies(system, request_id)
        assert missed["intake.requests"] == missed["retention.retention_clocks"] == 1

    await system.settle()
    assert set((await copies(system, request_id)).values()) == {0}, await copies(system, request_id)
    (own,) = [c for c in await certificates(system) if c["_id"] != purge["_id"]]
    assert own["scope"] == {"kind": "request", "id": request_id}
    assert own["ground"] == "customer_retention_expired"
    assert own["remaining_total"] == 0
    gone = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert gone.status_code == 404
    readable = await system.plaintext(rep.values)
    assert set(readable) <= {topics.CRM_INGRESS}, readable  # the CRM's own way in: kept days


async def test_a_copy_only_surveys_had_not_tagged_goes_when_the_decision_reaches_it(
    system: MemorySystem,
) -> None:
    """retention learnt the organisation in time and purged its copy with the organisation's;
    surveys learns it after its own part of the purge, and drops its copy then."""
    rep = Person.new("Rita Rep")
    await customer_with_a_request(system, official=Person.new("Olga Official"), rep=rep)
    with system.holding(topics.SUPPORT_REQUESTS, by="surveys"):
        accepted = await system.http("intake").post("/requests", json=rep.web_form("Again"))
        request_id = accepted.json()["request_id"]
        await system.settle()
        await terminate(system, days_ago=400)
        (purge,) = await certificates(system)
        assert purge["remaining_total"] == 0
        missed = await copies(system, request_id)
        assert missed["retention.retention_clocks"] == missed["intake.requests"] == 0

    await system.settle()
    assert set((await copies(system, request_id)).values()) == {0}, await copies(system, request_id)
    erased = await system.database("surveys")["erased_requests"].count_documents(
        {"_id": request_id}
    )
    assert erased == 1  # its later events make nothing
