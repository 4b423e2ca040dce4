"""P5, P7, P8: an organisation purge decides for each of its people, as if they were its only
one, whose own data goes: the services release a purge's people together (a few queries per
batch of them), and one person's ground to stay must neither keep nor lose another's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support import producers
from tests.support.memory import MemorySystem
from tests.support.producers import Person

NOW = datetime.now(UTC).replace(microsecond=0)
ORG, OTHER = "org-people", "org-people-zz"  # OTHER sorts after ORG: requests are ORG's


async def write_in(system: MemorySystem, person: Person, subject: str) -> str:
    accepted = await system.http("intake").post("/requests", json=person.web_form(subject))
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    return str(accepted.json()["request_id"])


def stored(found: dict[str, int]) -> set[str]:
    """The services' stores among the places a person's details were found."""
    return {place for place in found if place.split(".")[0] in {"intake", "access", "surveys"}}


async def test_each_person_of_a_purge_keeps_only_what_their_own_ground_keeps(
    system: MemorySystem,
) -> None:
    gone, both, double = Person.new("Gone Greta"), Person.new("Both Berg"), Person.new("Dora D")
    await write_in(system, both, "A private matter")  # before the customer names them
    system.clock.advance(timedelta(days=1))
    for organisation, representatives in (
        (ORG, {"c-gone": gone, "c-both": both, "c-dora": double}),
        (OTHER, {"c-dora-2": double}),
    ):
        system.publish(
            *producers.contract_signed(
                organisation,
                representatives=representatives,
                official=next(iter(representatives)),
                signed_at=system.clock.now(),  # after Both's private request
            )
        )
    await system.settle()
    for person in (gone, both, double):
        await write_in(system, person, "For work")
    accounts = system.database("access")["accounts"]
    assert await accounts.count_documents({}) == 3
    today = system.clock.now()
    system.publish(
        *producers.contract_terminated(
            ORG, termination_date=(today - timedelta(days=366)).date(), at=today
        )
    )
    await system.settle()

    (certificate,) = await system.database("retention")["deletion_certificates"].find({}).to_list()
    assert certificate["remaining_total"] == 0
    participants: dict[str, Any] = certificate["participants"]
    assert participants["access"]["kept"] == [
        {"records": "accounts", "count": 1, "ground": "customer_membership"},  # Dora
        {"records": "accounts", "count": 1, "ground": "other_requests"},  # Both
    ]
    assert participants["intake"]["kept"] == [
        {"records": "contacts", "count": 1, "ground": "other_requests"}  # Both
    ]
    assert await accounts.count_documents({}) == 2
    assert stored(await system.plaintext(gone.values)) == set()
    assert stored(await system.plaintext(both.values)) >= {"intake.contacts", "access.accounts"}
    assert "access.accounts" in stored(await system.plaintext(double.values))
    assert "intake.contacts" not in stored(await system.plaintext(double.values))
