"""Scenario 6's breakdown of an erasure into steps, from the records the services keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.erasure_hops import COMPLETED, PARTICIPANTS, REQUESTED, _steps

START = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def at(ms: int) -> datetime:
    return START + timedelta(milliseconds=ms)


def stored(*, late: str = "retention", missing: str | None = None) -> dict[str, Any]:
    """One erasure: asked at 50 ms; each participant handles it at 200 ms (`late` at 400),
    publishes its completion 10 ms later, and retention records it 90 ms after that."""
    records: dict[str, Any] = {name: {"outbox": {}, "handled": {}} for name in PARTICIPANTS}
    records["retention"]["outbox"][(REQUESTED, "e1")] = {"event_id": "asked", "sent_at": at(50)}
    for number, name in enumerate(PARTICIPANTS):
        handled = 400 if name == late else 200
        if name != missing:
            records[name]["handled"]["asked"] = at(handled)
        completion = f"done-{number}"
        records[name]["outbox"][(COMPLETED, "e1")] = {
            "event_id": completion,
            "sent_at": at(handled + 10),
        }
        records["retention"]["handled"][completion] = at(handled + 100)
    return records


def test_each_step_is_measured_from_the_one_before_it() -> None:
    steps = dict(_steps("e1", {"requested_at": START}, at(560), stored(late="access")))
    assert steps["asked"] == 0.05
    assert steps["handled by access"] == 0.35
    assert steps["handled by intake"] == 0.15
    assert steps["completion published by surveys"] == 0.01
    assert round(steps["completion of retention recorded"], 3) == 0.09
    # the last completion (access's, recorded at 500 ms) to the certificate at 560 ms
    assert round(steps["certified after the last completion"], 3) == 0.06
    assert len(steps) == 1 + 3 * len(PARTICIPANTS) + 1


def test_an_erasure_missing_a_record_is_left_out_not_half_counted() -> None:
    assert _steps("e1", {"requested_at": START}, at(560), stored(missing="surveys")) == []
    assert _steps("e2", {"requested_at": START}, at(560), stored()) == []
