"""Data-subject rights (P11): what an erasure or objection removes, and what is kept and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from services.retention.domain import RetentionClock, awaits_organisation_decision
from services.retention.legal_holds import HeldItems

KeptGround = Literal["legal_hold", "customer_records"]


@dataclass(frozen=True)
class Kept:
    """Something an erasure leaves in place, and the ground for keeping it."""

    kind: Literal["person", "request"]
    id: str
    ground: KeptGround


@dataclass(frozen=True)
class PersonErasurePlan:
    """Whether the person can be erased now, and the requests kept when they are; not yet
    while a request of theirs `awaits` its organisation decision (its ids)."""

    erase: bool
    kept: tuple[Kept, ...]
    awaits: tuple[str, ...] = ()

    @property
    def keep_request_ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.kept if k.kind == "request")


def plan_person_erasure(
    *,
    person_ids: Sequence[str],
    clocks: Iterable[RetentionClock],
    held: HeldItems,
    now: datetime,
) -> PersonErasurePlan:
    """A held person (under any of their data-subject ids) is not erased at all; nor yet one
    with a request whose organisation is not decided (whether the customer keeps it); otherwise
    their requests under a legal hold and their requests of a customer organisation (P7: the
    records stay with the organisation) are kept, the rest erased."""
    for person_id in person_ids:
        if person_id in held.persons:
            held_person = Kept("person", person_id, "legal_hold")
            return PersonErasurePlan(erase=False, kept=(held_person,))
    clocks = sorted(clocks, key=lambda c: c.request_id)
    awaits = tuple(c.request_id for c in clocks if awaits_organisation_decision(c, now=now))
    if awaits:
        return PersonErasurePlan(erase=False, kept=(), awaits=awaits)
    kept: list[Kept] = []
    for clock in clocks:
        if held.covers_request(
            request_id=clock.request_id,
            requester_id=clock.requester_id,
            organisation_id=clock.organisation_id,
        ):
            kept.append(Kept("request", clock.request_id, "legal_hold"))
        elif clock.rule == "customer_relationship":
            kept.append(Kept("request", clock.request_id, "customer_records"))
    return PersonErasurePlan(erase=True, kept=tuple(kept))
