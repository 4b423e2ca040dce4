"""Only an erasure's last missing answer wakes the purge scheduler: the three before it leave
nothing for a pass to do, and each such pass read the purges under way for nothing (three of
the store reads of every erasure). Answers are made as the participants make them
(`shared.participant.completed_event`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.retention.erasure import Purge, asked, new_purge
from services.retention.privacy import track_erasure_completion
from shared.events import CloudEvent
from shared.events.privacy import ErasureCompleted
from shared.events.sources import ACCESS, INTAKE_PRIVACY, RETENTION, SURVEYS, EventSource
from shared.participant import completed_event

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SOURCES: dict[str, EventSource] = {
    "intake": INTAKE_PRIVACY,
    "access": ACCESS,
    "surveys": SURVEYS,
    "retention": RETENTION,
}


class _Purges:
    def __init__(self, purge: Purge) -> None:
        self.kept = {purge.erasure_id: purge}
        self.saves = 0

    async def get(self, erasure_id: str) -> Purge | None:
        return self.kept.get(erasure_id)

    async def save(self, purge: Purge) -> None:
        self.kept[purge.erasure_id] = purge
        self.saves += 1


def _answer(participant: str, *, left: int = 0, erasure_id: str = "e1") -> CloudEvent:
    completed = ErasureCompleted(
        erasure_id=erasure_id,
        participant=participant,  # type: ignore[arg-type]
        completed_at=NOW,
        counts={"requests": 1},
        remaining={"requests": left},
    )
    return completed_event(completed, source=SOURCES[participant])


def _purges() -> _Purges:
    purge = new_purge(
        erasure_id="e1",
        scope_kind="person",
        scope_id="p1",
        ground="data_subject_request",
        requested_at=NOW,
        within=timedelta(days=1),
    )
    return _Purges(asked(purge, at=NOW))


async def test_only_the_last_missing_answer_makes_the_purge_due_for_its_certificate() -> None:
    purges = _purges()
    woken = [
        await track_erasure_completion(_answer(name), purges=purges)
        for name in ("intake", "access", "surveys", "retention")
    ]
    assert woken == [False, False, False, True]
    assert purges.kept["e1"].state == "participants_completed"


async def test_an_unfinished_a_repeated_or_an_unknown_answer_wakes_nothing() -> None:
    purges = _purges()
    for name in ("intake", "access", "surveys"):
        await track_erasure_completion(_answer(name), purges=purges)
    unfinished = _answer("retention", left=2)
    assert not await track_erasure_completion(unfinished, purges=purges)
    assert purges.kept["e1"].state == "erasure_requested"
    assert await track_erasure_completion(_answer("retention"), purges=purges)
    saves = purges.saves
    again = _answer("retention")
    assert not await track_erasure_completion(again, purges=purges)
    assert purges.saves == saves  # a redelivered answer changes nothing
    stranger = _answer("intake", erasure_id="not-ours")
    assert not await track_erasure_completion(stranger, purges=purges)
