"""P4, P6: a representative's details are what the customer last told us, through the real
producers (a CRM on crm.ingress, the telephony system on intake.phone), in memory (and, where
marked, as real processes).

The policy: "We update this information when requested by a customer." When the CRM gives a
representative a new name or number, intake's contact record of them follows; and a number the
CRM now names for another representative is that representative's: their call is not filed as
the request of the person who had the number before (who, as its requester, could read it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from shared import topics
from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.unit.policy.customers import NOW as NOW  # where the `system` fixture's clock starts
from tests.unit.policy.customers import ORG, SIGNED, System, calls, publish
from tests.unit.policy.threads import files


async def contact_of(system: System, person: Person) -> dict[str, object]:
    """intake's contact record of the person (found by their email, which does not change)."""
    found = await system.database("intake")["contacts"].find_one({"email": person.email})
    assert found is not None
    return dict(found)


async def name_read(system: System, request_id: str) -> str:
    """The requester's name as support staff read the request in access."""
    view = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert view.status_code == 200, view.text
    return str(view.json()["requester_name"])


async def requester_of(system: System, request_id: str) -> str:
    found = await system.database("intake")["requests"].find_one({"_id": request_id})
    return str(found["requester_id"])


@pytest.mark.both_layers
async def test_a_number_the_crm_moves_to_another_representative_files_their_calls_under_them(
    system: System,
) -> None:
    rita = Person.new("Rita Rep", phone="+47 912 34 001")
    publish(
        system,
        producers.contract_signed(
            ORG,
            representatives={"c-o": Person.new("O"), "c-rita": rita},
            official="c-o",
            signed_at=SIGNED,
        ),
    )
    await system.settle()
    first = await calls(system, rita)  # from the order form's number, without an email
    assert first is not None
    ritas = str((await contact_of(system, rita))["_id"])
    assert await requester_of(system, first) == ritas

    # the customer tells us: Rita has a new name and number; her old number is Bob's now
    renamed = replace(
        rita, full_name=f"Rita Renamed {rita.full_name.split()[-1]}", phone="+47 912 34 002"
    )
    bob = Person.new("Bob Rep", phone=rita.phone)
    publish(system, producers.contact_upserted(ORG, "c-rita", renamed, at=system.clock.now()))
    publish(system, producers.contact_upserted(ORG, "c-bob", bob, at=system.clock.now()))
    await system.settle()

    contact = await contact_of(system, rita)
    assert (contact["_id"], contact["full_name"]) == (ritas, renamed.full_name)
    assert await name_read(system, first) == renamed.full_name  # also on what she filed before
    assert (contact["phone"], contact["phone_e164"]) == (renamed.phone, "+4791234002")

    bobs_call = await calls(system, bob)
    assert bobs_call is not None
    assert await requester_of(system, bobs_call) == str((await contact_of(system, bob))["_id"])
    assert await requester_of(system, bobs_call) != ritas
    ritas_call = await calls(system, renamed)  # from her new number
    assert ritas_call is not None and await requester_of(system, ritas_call) == ritas


async def test_the_crm_saying_nothing_of_a_number_leaves_the_one_the_person_gave(
    system: System,
) -> None:
    """A statement without a phone number renames; the number the person gave stays theirs."""
    carl = Person.new("Carl Customer", phone="+47 912 34 003")
    written = await system.http("intake").post("/requests", json=carl.web_form())
    assert written.status_code == 202, written.text
    await system.settle()
    renamed = replace(carl, full_name=f"Carl Renamed {carl.full_name.split()[-1]}", phone=None)
    publish(system, producers.contact_upserted(ORG, "c-carl", renamed, at=system.clock.now()))
    await system.settle()
    contact = await contact_of(system, carl)
    assert (contact["full_name"], contact["phone_e164"]) == (renamed.full_name, "+4791234003")
    assert await name_read(system, written.json()["request_id"]) == renamed.full_name


@pytest.mark.both_layers
async def test_an_older_statement_read_later_does_not_undo_a_newer_one(system: System) -> None:
    """Two customers name the same person: the statement made later stands, whichever of the
    two is read last (their CRMs' events travel apart)."""
    dana = Person.new("Dana Double", phone="+47 912 34 004")
    written = await system.http("intake").post("/requests", json=dana.web_form())
    assert written.status_code == 202, written.text
    await system.settle()
    tag, now = dana.full_name.split()[-1], system.clock.now()
    newer = replace(dana, full_name=f"Dana Newer {tag}", phone="+47 912 34 005")
    older = replace(dana, full_name=f"Dana Older {tag}", phone="+47 912 34 006")
    publish(system, producers.contact_upserted(ORG, "c-d1", newer, at=now))
    await system.settle()
    yesterday = now - timedelta(days=1)
    publish(system, producers.contact_upserted(f"{ORG}-b", "c-d2", older, at=yesterday))
    await system.settle()
    contact = await contact_of(system, dana)
    assert (contact["full_name"], contact["phone_e164"]) == (newer.full_name, "+4791234005")
    assert await name_read(system, written.json()["request_id"]) == newer.full_name


async def corrects(system: System, request_id: str, corrected: dict[str, str]) -> None:
    """Support staff ask for the requester's correction (P11), as the person states it."""
    rectified = await system.http("retention").post(
        "/privacy/rectifications",
        headers=STAFF,
        json={"data_subject_id": await requester_of(system, request_id), "details": corrected},
    )
    assert rectified.status_code == 202, rectified.text
    await system.settle()


async def test_the_persons_own_correction_stands_against_a_statement_made_before_it(
    system: System,
) -> None:
    """P4 and P11: a customer's statement made before the person corrected their details,
    read after the correction, does not undo it; one made after it stands."""
    eve = Person.new("Eve Early", phone="+47 912 34 007")
    written = await system.http("intake").post("/requests", json=eve.web_form())
    assert written.status_code == 202, written.text
    await system.settle()
    request_id = written.json()["request_id"]
    tag, now = eve.full_name.split()[-1], system.clock.now()
    corrected = {"full_name": f"Eve Corrected {tag}", "email": eve.email}
    await corrects(system, request_id, corrected)
    stale = replace(eve, full_name=f"Eve Stale {tag}")
    publish(system, producers.contact_upserted(ORG, "c-eve", stale, at=now - timedelta(hours=1)))
    await system.settle()
    assert (await contact_of(system, eve))["full_name"] == corrected["full_name"]
    assert await name_read(system, request_id) == corrected["full_name"]

    later = replace(eve, full_name=f"Eve Later {tag}")
    publish(system, producers.contact_upserted(ORG, "c-eve", later, at=now + timedelta(minutes=1)))
    await system.settle()
    assert (await contact_of(system, eve))["full_name"] == later.full_name
    assert await name_read(system, request_id) == later.full_name


@pytest.mark.parametrize("late", ["intake", "access"])
async def test_a_correction_read_late_leaves_a_statement_made_after_it(
    system: MemorySystem, late: str
) -> None:
    """P4 and P11: the service reads the person's correction only after the customer restated
    them a minute later (by the same address); the later statement stands."""
    eve = Person.new("Eve Early", phone="+47 912 34 008")
    request_id, _ = await files(system, eve)
    tag, now = eve.full_name.split()[-1], system.clock.now()
    corrected = {"full_name": f"Eve Corrected {tag}", "email": eve.email}
    later = replace(eve, full_name=f"Eve Later {tag}")
    with system.holding(topics.PRIVACY_DSR, by=late):
        await corrects(system, request_id, corrected)
        system.clock.advance(timedelta(minutes=2))
        restated = producers.contact_upserted(ORG, "c-eve", later, at=now + timedelta(minutes=1))
        publish(system, restated)
        await system.settle()
    await system.settle()

    assert (await contact_of(system, eve))["full_name"] == later.full_name
    assert await name_read(system, request_id) == later.full_name
