"""Scenario 3's breakdown of a web submission's way into access, from the records the services
keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bench.submission_hops import _steps

START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def at(ms: int) -> datetime:
    return START + timedelta(milliseconds=ms)


def test_each_step_is_measured_from_the_one_before_it() -> None:
    published = {"event_id": "received-1", "sent_at": at(40)}
    steps = dict(_steps(START, published, {"received-1": at(130)}, at(210)))
    assert steps == {
        "published by intake": 0.04,
        "taken up by access": 0.09,
        "readable to the probe": 0.08,
        "in all": 0.21,
    }


def test_access_taking_it_up_before_intake_marked_it_sent_is_negative_not_hidden() -> None:
    published = {"event_id": "received-1", "sent_at": at(40)}
    steps = dict(_steps(START, published, {"received-1": at(35)}, at(90)))
    assert steps["taken up by access"] == -0.005
    assert steps["in all"] == 0.09


def test_a_submission_missing_a_record_is_left_out_not_half_counted() -> None:
    published = {"event_id": "received-1", "sent_at": at(40)}
    assert _steps(None, published, {"received-1": at(130)}, at(210)) == []
    assert _steps(START, None, {"received-1": at(130)}, at(210)) == []
    assert _steps(START, {**published, "sent_at": None}, {"received-1": at(130)}, at(210)) == []
    assert _steps(START, published, {}, at(210)) == []
