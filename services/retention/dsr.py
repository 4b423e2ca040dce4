"""Data-subject rights (P11): what an erasure or objection removes, and what is kept and why."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from services.retention.domain import RetentionClock
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
    """Whether the person can be erased now, and the requests kept when they are."""

    erase: bool
    kept: tuple[Kept, ...]

    @property
    def keep_request_ids(self) -> tuple[str, ...]:
        return tuple(k.id for k in self.kept if k.kind == "request")


def plan_person_erasure(
    *, person_ids: Sequence[str], clocks: Iterable[RetentionClock], held: HeldItems
) -> PersonErasurePlan:
    """A held person (under any of their data-subject ids) is not erased at all; otherwise
    their requests under a legal hold and their requests of a customer organisation (P7: the
    records stay with the organisation) are kept, the rest erased."""
    for person_id in person_ids:
        if person_id in held.persons:
            held_person = Kept("person", person_id, "legal_hold")
            return PersonErasurePlan(erase=False, kept=(held_person,))
    kept: list[Kept] = []
    for clock in sorted(clocks, key=lambda c: c.request_id):
        if held.covers_request(
            request_id=clock.request_id,
            requester_id=clock.requester_id,
            organisation_id=clock.organisation_id,
        ):
            kept.append(Kept("request", clock.request_id, "legal_hold"))
        elif clock.rule == "customer_relationship":
            kept.append(Kept("request", clock.request_id, "customer_records"))
    return PersonErasurePlan(erase=True, kept=tuple(kept))
