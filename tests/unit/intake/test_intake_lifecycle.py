"""Request life cycle rules and the web channel's per-client rate limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain import Contact, StatusChangeRefused, change_status, open_request
from services.intake.ratelimit import TokenBuckets
from shared.events.intake import ContactDetails

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request():  # type: ignore[no-untyped-def]
    contact = Contact(
        contact_id="c1", details=ContactDetails(full_name="Ada", email="ada@example.org")
    )
    return open_request(channel="web", requester=contact, subject="s", body="b", received_at=T0)


def test_a_new_request_is_open_with_legitimate_interest_and_active_at_receipt() -> None:
    opened = request()
    assert (opened.status, opened.lawful_basis, opened.last_activity_at) == (
        "open",
        "legitimate_interest",
        T0,
    )
    assert opened.reference.startswith("SR-") and len(opened.reference) == 11


def test_resolving_needs_a_resolution_and_moves_last_activity() -> None:
    later = T0 + timedelta(days=3)
    with pytest.raises(StatusChangeRefused, match="resolution"):
        change_status(request(), to_status="resolved", resolution=None, at=later)
    resolved = change_status(request(), to_status="resolved", resolution="solved", at=later)
    assert (resolved.status, resolved.resolution, resolved.last_activity_at) == (
        "resolved",
        "solved",
        later,
    )


def test_a_closed_request_stays_closed_and_pending_has_no_resolution() -> None:
    closed = change_status(request(), to_status="closed", resolution="spam", at=T0)
    with pytest.raises(StatusChangeRefused, match="closed cannot become open"):
        change_status(closed, to_status="open", resolution=None, at=T0)
    with pytest.raises(StatusChangeRefused, match="resolution"):
        change_status(request(), to_status="pending", resolution="solved", at=T0)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_waits_for_the_refill() -> None:
    time = FakeTime()
    buckets = TokenBuckets(per_minute=6, burst=2, monotonic=time)
    assert [buckets.allow("a"), buckets.allow("a"), buckets.allow("a")] == [True, True, False]
    assert buckets.allow("b"), "another client has its own bucket"
    assert buckets.retry_after("a") == 10
    time.now = 10.0
    assert buckets.allow("a")
    assert not buckets.allow("a")


def test_idle_clients_are_forgotten_when_the_table_is_full() -> None:
    time = FakeTime()
    buckets = TokenBuckets(per_minute=60, burst=1, monotonic=time, max_clients=2)
    assert buckets.allow("a") and buckets.allow("b")
    time.now = 5.0
    assert buckets.allow("c")
    assert len(buckets._buckets) <= 2
