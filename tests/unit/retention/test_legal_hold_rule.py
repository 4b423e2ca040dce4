"""The legal-hold rule is written once (`REQUEST_HELD_BY`) and applied twice: by `HeldItems` to
one request in Python, and by the store when it selects the requests due for purging. Both
must agree on every combination of holds, or a held request could be purged (P9)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.retention.domain import RetentionClock
from services.retention.legal_holds import HeldItems, LegalHold
from services.retention.repository import MongoRetentionClocks
from tests.support.memory_store import MemoryMongo

NOW = datetime(2026, 12, 5, tzinfo=UTC)
KINDS = ("request", "person", "organisation")


def _clock(request_id: str, requester_id: str, organisation_id: str | None) -> RetentionClock:
    return RetentionClock(
        request_id=request_id,
        requester_id=requester_id,
        organisation_id=organisation_id,
        rule="inactivity",
        last_activity_at=NOW - timedelta(days=400),
        purge_due_at=NOW - timedelta(days=35),
    )


def _hold(kind: str, scope_id: str, *, active: bool = True) -> LegalHold:
    return LegalHold(
        hold_id=f"{kind}-{scope_id}",
        scope_kind=kind,  # type: ignore[arg-type]
        scope_id=scope_id,
        reason="litigation",
        case_reference="case",
        placed_by="staff",
        placed_at=NOW - timedelta(days=1),
        released_at=None if active else NOW - timedelta(hours=1),
    )


CLOCKS = [
    _clock(f"r{n}", requester, organisation)
    for n, (requester, organisation) in enumerate(
        itertools.product(("p1", "p2"), (None, "o1", "o2"))
    )
]
HOLD_SETS = [
    [_hold(kind, scope_id) for kind, scope_id in chosen]
    for size in range(3)
    for chosen in itertools.combinations(
        [("request", "r0"), ("request", "r4"), ("person", "p1"), ("organisation", "o1")], size
    )
] + [[_hold("person", "p2", active=False)]]


@pytest.mark.parametrize("holds", HOLD_SETS, ids=lambda h: "+".join(x.hold_id for x in h) or "none")
async def test_the_store_purges_exactly_the_requests_the_rule_does_not_hold(
    holds: list[LegalHold],
) -> None:
    clocks = MongoRetentionClocks(MemoryMongo()["retention"])  # type: ignore[arg-type]
    for clock in CLOCKS:
        await clocks.save(clock)
    held = HeldItems.of(holds, now=NOW)

    due = {c.request_id for c in await clocks.due(now=NOW, limit=100, held=held)}

    not_held = {
        c.request_id
        for c in CLOCKS
        if not held.covers_request(
            request_id=c.request_id, requester_id=c.requester_id, organisation_id=c.organisation_id
        )
    }
    assert due == not_held
    if holds and all(h.is_active(NOW) for h in holds):
        assert due != {c.request_id for c in CLOCKS}  # an active hold always keeps something
