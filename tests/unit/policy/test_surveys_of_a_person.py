"""P9: surveys ask a person, not an address. A representative whose address the customer
changed in the CRM writes in from both addresses; access links both contacts to one account.
They are throttled as one person, and the opt-out they gave under the old address holds
under the new one. Through the real producers: the CRM on crm.ingress, the web form, staff
resolving the request, the mailed invitation's opt-out link.

The policy: "We will sometimes send out satisfaction surveys to persons registered in our
support systems."
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem
from tests.support.smtp import SmtpSink, smtp_sink

System = MemorySystem | RealSystem

NOW = datetime.now(UTC).replace(microsecond=0)  # the real layer runs on the wall clock
ORG = "org-acme"
OPT_OUT = re.compile(r"/surveys/opt-out/([A-Za-z0-9_\-]+)")


async def writes_in(system: System, person: Person) -> str:
    sent = await system.http("intake").post("/requests", json=person.web_form())
    assert sent.status_code == 202, sent.text
    await system.settle()
    return str(sent.json()["request_id"])


async def resolved(system: System, request_id: str) -> list[tuple[str, str]]:
    """Staff resolve the request; surveys' decisions about it (state, reason)."""
    answer = await system.http("intake").post(
        f"/requests/{request_id}/status",
        json={"status": "resolved", "resolution": "solved"},
        headers=STAFF,
    )
    assert answer.status_code == 200, answer.text
    await system.settle()
    decisions = await system.http("surveys").get(
        "/surveys/decisions", params={"request_id": request_id}, headers=STAFF
    )
    return [(d["state"], d["reason"]) for d in decisions.json()]


async def representative_who_moves(system: System) -> tuple[Person, Person, str]:
    """The order form names Mona; she writes in; the CRM then gives her a new address."""
    mona = Person.new("Moving Mona")
    system.publish(
        *producers.contract_signed(
            ORG,
            representatives={"c-r1": Person.new("O"), "c-r2": mona},
            official="c-r1",
            signed_at=NOW - timedelta(days=800),
        )
    )
    await system.settle()
    first = await writes_in(system, mona)
    moved = Person(mona.full_name, f"new.{mona.email}")
    system.publish(*producers.contact_upserted(ORG, "c-r2", moved, at=system.clock.now()))
    await system.settle()
    return mona, moved, first


@pytest.mark.both_layers
async def test_a_person_writing_from_two_addresses_is_surveyed_as_one_person(
    system: System,
) -> None:
    _, moved, first = await representative_who_moves(system)
    assert await resolved(system, first) == [("scheduled", "scheduled")]
    later = await writes_in(system, moved)
    assert await resolved(system, later) == [("skipped", "cooldown")]
    # both of her contacts are one person in surveys' store too
    links = system.database("surveys")["person_links"]
    requesters = [
        (await system.database("intake")["requests"].find_one({"_id": r}))["requester_id"]
        for r in (first, later)
    ]
    assert set(requesters) <= set((await links.find_one({"contact_ids": "c-r2"}))["contact_ids"])


@pytest.fixture
def mail() -> Iterator[SmtpSink]:
    with smtp_sink() as sink:
        yield sink


async def test_an_opt_out_under_the_old_address_holds_under_the_new_one(mail: SmtpSink) -> None:
    async with MemorySystem(now=NOW, SMTP_RELAY_PORT=str(mail.port)).running() as system:
        mona, moved, first = await representative_who_moves(system)
        assert await resolved(system, first) == [("scheduled", "scheduled")]
        system.clock.advance(timedelta(days=2))
        dispatcher = system.services["surveys"].app.state.dispatcher
        assert await dispatcher.dispatch_due() == 1
        (invitation,) = mail.to(mona.email)
        link = OPT_OUT.search(invitation.get_content())
        assert link is not None
        surveys = system.http("surveys")
        opted = await surveys.post(f"/surveys/opt-out/{link.group(1)}")
        assert opted.status_code == 200, opted.text

        system.clock.advance(timedelta(days=90))  # past the cooldown
        later = await writes_in(system, moved)
        assert await resolved(system, later) == [("skipped", "opted_out")]
        system.clock.advance(timedelta(days=2))
        assert await dispatcher.dispatch_due() == 0
        assert mail.to(moved.email) == []
