"""Retention clocks (P7, P8) as pure domain logic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from services.retention.domain import (
    OrganisationClock,
    clock_for_new_request,
    erasure_held,
    organisation_in_force,
    organisation_terminated,
    record_activity,
    with_organisation,
)

YEAR = timedelta(days=365)
T0 = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def public_request(received_at: datetime = T0):
    return clock_for_new_request(
        request_id="r1",
        requester_id="p1",
        organisation_id=None,
        received_at=received_at,
        retention=YEAR,
    )


def terminated_on(day: date) -> OrganisationClock:
    """Organisation o1's contract, ended on `day`, as the CRM said at T0."""
    return organisation_terminated(
        None, organisation_id="o1", termination_date=day, terminated_at=T0, retention=YEAR
    )


def test_a_public_request_falls_due_a_year_after_it_was_received() -> None:
    assert public_request().purge_due_at == T0 + YEAR
    assert public_request().rule == "inactivity"


def test_a_customer_request_has_no_deadline_of_its_own() -> None:
    clock = clock_for_new_request(
        request_id="r1", requester_id="p1", organisation_id="o1", received_at=T0, retention=YEAR
    )
    assert clock.rule == "customer_relationship"
    assert clock.purge_due_at is None


def test_a_request_found_to_be_a_customers_follows_the_contract_and_back() -> None:
    """P5, P7: access's decision (version 1) makes it the customer's; a later one (2) undoes
    it, and the inactivity deadline comes back from the last activity."""
    customer = with_organisation(public_request(), organisation_id="o1", version=1, retention=YEAR)
    assert (customer.rule, customer.organisation_id, customer.purge_due_at) == (
        "customer_relationship",
        "o1",
        None,
    )
    private = with_organisation(customer, organisation_id=None, version=2, retention=YEAR)
    assert (private.rule, private.purge_due_at) == ("inactivity", T0 + YEAR)


def test_an_older_organisation_decision_arriving_late_changes_nothing() -> None:
    newer = with_organisation(public_request(), organisation_id=None, version=2, retention=YEAR)
    assert with_organisation(newer, organisation_id="o1", version=1, retention=YEAR) == newer


def test_activity_moves_the_deadline_to_last_activity_plus_a_year() -> None:
    moved = record_activity(public_request(), active_at=T0 + timedelta(days=300), retention=YEAR)
    assert moved.purge_due_at == T0 + timedelta(days=300) + YEAR
    assert moved.last_activity_at == T0 + timedelta(days=300)


def test_an_older_activity_arriving_late_never_moves_the_deadline_back() -> None:
    later = record_activity(public_request(), active_at=T0 + timedelta(days=300), retention=YEAR)
    older = record_activity(later, active_at=T0 + timedelta(days=100), retention=YEAR)
    assert older == later


def test_activity_does_not_undo_a_purge_that_started() -> None:
    purging = replace(public_request(), purge_id="e1")
    assert record_activity(purging, active_at=T0 + timedelta(days=10), retention=YEAR) == purging


def test_an_erasure_a_hold_held_back_stays_due_whatever_happens_to_the_request() -> None:
    """P11: the person asked at T0 + 10 days; the hold alone keeps the request, so it is due
    from then on, through later activity and organisation decisions alike."""
    asked = T0 + timedelta(days=10)
    held = erasure_held(public_request(), asked_at=asked, ground="data_subject_request")
    assert (held.purge_due_at, held.erasure_asked_at, held.erasure_ground) == (
        asked,
        asked,
        "data_subject_request",
    )
    active = record_activity(held, active_at=T0 + timedelta(days=20), retention=YEAR)
    assert active.purge_due_at == asked and active.last_activity_at == T0 + timedelta(days=20)
    customer = with_organisation(held, organisation_id="o1", version=1, retention=YEAR)
    assert customer.purge_due_at is None  # the customer's record now (P7)
    private = with_organisation(customer, organisation_id=None, version=2, retention=YEAR)
    assert private.purge_due_at == asked


def test_an_erasure_changes_no_customer_request_nor_a_purge_under_way() -> None:
    customer = with_organisation(public_request(), organisation_id="o1", version=1, retention=YEAR)
    asked = T0 + timedelta(days=10)
    assert erasure_held(customer, asked_at=asked, ground="objection") == customer
    purging = replace(public_request(), purge_id="e1")
    assert erasure_held(purging, asked_at=asked, ground="objection") == purging


def test_termination_schedules_the_purge_from_the_termination_date_not_from_now() -> None:
    clock = terminated_on(date(2025, 3, 1))
    assert clock.contract_state == "terminated"
    assert clock.purge_due_at == datetime(2025, 3, 1, tzinfo=UTC) + YEAR


def test_reinstatement_cancels_the_purge() -> None:
    terminated = terminated_on(date(2025, 3, 1))
    reinstated = organisation_in_force(
        terminated, organisation_id="o1", in_force_at=T0 + timedelta(days=5)
    )
    assert reinstated.contract_state == "active"
    assert reinstated.purge_due_at is None


def test_a_reinstatement_older_than_the_termination_changes_nothing() -> None:
    terminated = terminated_on(date(2025, 3, 1))
    stale = organisation_in_force(
        terminated, organisation_id="o1", in_force_at=T0 - timedelta(days=5)
    )
    assert stale == terminated


def test_a_termination_older_than_a_reinstatement_changes_nothing() -> None:
    reinstated = organisation_in_force(None, organisation_id="o1", in_force_at=T0)
    stale = organisation_terminated(
        reinstated,
        organisation_id="o1",
        termination_date=date(2024, 12, 1),
        terminated_at=T0 - timedelta(days=1),
        retention=YEAR,
    )
    assert stale == reinstated


def test_a_contract_in_force_after_the_purge_started_begins_a_new_relationship() -> None:
    """The purge that started runs to its end (it is not the clock's to cancel); the clock
    starts afresh, so the new contract's termination schedules a purge of its own."""
    terminated = terminated_on(date(2024, 1, 1))
    purging = replace(terminated, purge_id="e1")
    signed_again = organisation_in_force(purging, organisation_id="o1", in_force_at=T0 + YEAR)
    assert signed_again.contract_state == "active"
    assert signed_again.purge_id is None and signed_again.purge_due_at is None
    assert signed_again.termination_date is None and signed_again.terminated_at is None
    ended_again = organisation_terminated(
        signed_again,
        organisation_id="o1",
        termination_date=date(2027, 6, 1),
        terminated_at=T0 + 2 * YEAR,
        retention=YEAR,
    )
    assert ended_again.purge_due_at == datetime(2027, 6, 1, tzinfo=UTC) + YEAR


def test_news_older_than_the_termination_does_not_reopen_a_purged_organisation() -> None:
    terminated = terminated_on(date(2024, 1, 1))
    purging = replace(terminated, purge_id="e1")
    late = organisation_in_force(purging, organisation_id="o1", in_force_at=T0 - YEAR)
    assert late == purging
