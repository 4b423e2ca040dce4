"""P11 and legal holds: a person's erasure keeps what a legal hold holds, says so, and
completes when the legal system releases the hold, through the real producers (the web form,
the legal system's events on legal.holds), in the four services wired in memory (and, where
marked, as real processes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem
from tests.unit.policy.customers import certificates, file_of, with_a_file

System = MemorySystem | RealSystem

NOW = datetime.now(UTC).replace(microsecond=0)  # the real layer runs on the wall clock
INGRESS = {topics.PHONE_INTAKE, topics.CRM_INGRESS}  # clear text on purpose, kept days


@pytest.mark.both_layers
async def test_an_erasure_a_legal_hold_held_back_completes_when_the_hold_goes(
    system: System,
) -> None:
    """P11 honours legal holds and says what it kept: the held request stays whole, its file
    too (although the person's key is shredded), the rest goes at once; when the legal system
    releases the hold, the held request goes as well, and the person with it (P8)."""
    person = Person.new("Held Hedda")
    content = b"the contract we dispute\n"
    held = await with_a_file(system, person, content)
    other = await system.http("intake").post("/requests", json=person.web_form("Other"))
    assert other.status_code == 202, other.text
    topic, placed = producers.hold_placed("request", held, at=NOW)
    system.publish(topic, placed)
    await system.settle()
    requester = (await system.database("intake")["requests"].find_one({"_id": held}))[
        "requester_id"
    ]

    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": requester}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kept"] == [{"kind": "request", "id": held, "ground": "legal_hold"}]
    await system.settle()
    (first,) = await certificates(system)
    assert first["remaining_total"] == 0 and first["keys_shredded"] == 1
    access = system.http("access")
    gone = await access.get(f"/requests/{other.json()['request_id']}", headers=STAFF)
    assert gone.status_code == 404
    assert await file_of(system, held) == (200, content)
    clock = await system.http("retention").get(f"/retention/requests/{held}", headers=STAFF)
    assert clock.json()["erasure_asked_at"] is not None
    assert clock.json()["purge_due_at"] <= clock.json()["erasure_asked_at"]

    system.publish(*producers.hold_released(placed.subject, at=system.clock.now()))
    await system.settle()
    second = next(c for c in await certificates(system) if c["erasure_id"] != first["erasure_id"])
    assert second["scope"] == {"kind": "request", "id": held}
    assert second["ground"] == "data_subject_request"
    assert second["remaining_total"] == 0
    assert second["participants"]["intake"]["counts"]["attachments"] == 1
    assert second["participants"]["intake"]["counts"]["contacts"] == 1
    assert (await access.get(f"/requests/{held}", headers=STAFF)).status_code == 404
    left = await system.plaintext(person.values)
    assert set(left) <= INGRESS, left


@pytest.mark.both_layers
async def test_the_erasure_of_a_person_under_a_legal_hold_starts_when_the_hold_goes(
    system: System,
) -> None:
    """P11: a hold on the person keeps everything of theirs, and the answer says so; the
    erasure they asked for is not forgotten, and runs once the legal system releases them."""
    person = Person.new("Held Henrik")
    sent = await system.http("intake").post("/requests", json=person.web_form())
    assert sent.status_code == 202, sent.text
    await system.settle()
    request_id = sent.json()["request_id"]
    requester = (await system.database("intake")["requests"].find_one({"_id": request_id}))[
        "requester_id"
    ]
    topic, placed = producers.hold_placed("person", requester, at=NOW)
    system.publish(topic, placed)
    await system.settle()

    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": requester}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "erasure_id": None,
        "erased": False,
        "kept": [{"kind": "person", "id": requester, "ground": "legal_hold"}],
        "awaiting_organisation_decision": [],
    }
    await system.settle()
    assert await certificates(system) == []
    access = system.http("access")
    assert (await access.get(f"/requests/{request_id}", headers=STAFF)).status_code == 200
    status = await system.http("retention").get("/retention/status", headers=STAFF)
    assert status.json()["erasures_held_back"] == 1  # ops see it waiting

    system.publish(*producers.hold_released(placed.subject, at=system.clock.now()))
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "person", "id": requester}
    assert certificate["ground"] == "data_subject_request"
    assert certificate["remaining_total"] == 0 and certificate["keys_shredded"] == 1
    assert (await access.get(f"/requests/{request_id}", headers=STAFF)).status_code == 404
    assert set(await system.plaintext(person.values)) <= INGRESS
    status = await system.http("retention").get("/retention/status", headers=STAFF)
    assert status.json()["erasures_held_back"] == 0
