"""Retention clocks (P7, P8): when a request's or an organisation's personal data falls due."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from shared.events.privacy import ErasureGround
from shared.holdings import DECISION_AWAITED_FOR

RetentionRule = Literal["customer_relationship", "inactivity"]


@dataclass(frozen=True)
class RetentionClock:
    """A request's retention: customer requests follow their organisation's contract (P7);
    other requests are purged after a year without activity (P8)."""

    request_id: str
    requester_id: str
    organisation_id: str | None
    rule: RetentionRule
    last_activity_at: datetime
    purge_due_at: datetime | None
    purge_id: str | None = None
    organisation_version: int = 0
    """The version of access's organisation decision this clock follows (0: none yet)."""
    erasure_asked_at: datetime | None = None
    """Its requester asked for erasure (or objected) while a legal hold kept the request: it is
    due since then, and purged as soon as the hold goes (P11)."""
    erasure_ground: ErasureGround | None = None
    decided_version: int = 0
    """The newest organisation decision of access's read here (`access.memberships`), and
    `decided_organisation_id` its organisation: the clock follows it once intake has applied it
    (`organisation_version`); until then a person's erasure waits (P7)."""
    decided_organisation_id: str | None = None


def clock_for_new_request(
    *,
    request_id: str,
    requester_id: str,
    organisation_id: str | None,
    received_at: datetime,
    retention: timedelta,
) -> RetentionClock:
    """Start a request's clock from the event's own time, never from when it was consumed."""
    if organisation_id is not None:
        return RetentionClock(
            request_id=request_id,
            requester_id=requester_id,
            organisation_id=organisation_id,
            rule="customer_relationship",
            last_activity_at=received_at,
            purge_due_at=None,
        )
    return RetentionClock(
        request_id=request_id,
        requester_id=requester_id,
        organisation_id=None,
        rule="inactivity",
        last_activity_at=received_at,
        purge_due_at=received_at + retention,
    )


def record_activity(
    clock: RetentionClock, *, active_at: datetime, retention: timedelta
) -> RetentionClock:
    """P8: activity moves the deadline to last activity + retention; an older event never
    moves it backwards, and a purge already started is not undone."""
    if clock.purge_id is not None or active_at <= clock.last_activity_at:
        return clock
    due = clock.purge_due_at
    if clock.rule == "inactivity":
        due = _inactivity_due(clock, active_at + retention)
    return replace(clock, last_activity_at=active_at, purge_due_at=due)


def _inactivity_due(clock: RetentionClock, due: datetime) -> datetime:
    """An erasure asked for stays due however active the request is."""
    return due if clock.erasure_asked_at is None else min(due, clock.erasure_asked_at)


def erasure_held(
    clock: RetentionClock, *, asked_at: datetime, ground: ErasureGround
) -> RetentionClock:
    """P11 with a legal hold: the requester's erasure kept this request only for the hold, so
    it is due from the asking and goes once the hold does. A customer's request stays the
    organisation's (P7), and a purge already started is not undone."""
    if clock.rule != "inactivity" or clock.purge_id is not None:
        return clock
    due = min(asked_at, clock.purge_due_at or asked_at)
    return replace(clock, purge_due_at=due, erasure_asked_at=asked_at, erasure_ground=ground)


def awaits_organisation_decision(clock: RetentionClock, *, now: datetime) -> bool:
    """Whether the request is a customer's is not settled here yet: access has not decided (as
    far as retention has read), or has decided otherwise than intake has applied so far; it is
    lately active and not being purged. Erasing its requester now could take a customer's
    record (P7), or leave intake keeping what retention let go."""
    if clock.purge_id is not None or clock.last_activity_at <= now - DECISION_AWAITED_FOR:
        return False
    if clock.decided_version == 0:
        return clock.organisation_version == 0
    return (
        clock.decided_version > clock.organisation_version
        and clock.decided_organisation_id != clock.organisation_id
    )


def with_decision(
    clock: RetentionClock, *, organisation_id: str | None, version: int
) -> RetentionClock:
    """access's decision `version` read here (an older one changes nothing)."""
    if version <= clock.decided_version:
        return clock
    return replace(clock, decided_version=version, decided_organisation_id=organisation_id)


def with_organisation(
    clock: RetentionClock,
    *,
    organisation_id: str | None,
    version: int,
    retention: timedelta,
) -> RetentionClock:
    """A request found to be a customer organisation's follows its contract (P7), never
    inactivity; one found not to be (any longer) is purged a year after its last activity (P8).
    An older decision than the one applied, or a purge already started, changes nothing."""
    if clock.purge_id is not None or version <= clock.organisation_version:
        return clock
    if organisation_id is not None:
        return replace(
            clock,
            organisation_id=organisation_id,
            rule="customer_relationship",
            purge_due_at=None,
            organisation_version=version,
        )
    return replace(
        clock,
        organisation_id=None,
        rule="inactivity",
        purge_due_at=_inactivity_due(clock, clock.last_activity_at + retention),
        organisation_version=version,
    )


def with_purged_organisation(
    clock: RetentionClock, *, organisation_id: str, version: int, purged_at: datetime
) -> RetentionClock:
    """P7: access found the request its organisation's before the organisation was purged
    here, but the word came after the purge (the topics between are consumed at their own
    pace), so the purge missed it. It follows the contract, whose retention has expired: it is
    due since the purge, on that ground, and goes in a purge of its own."""
    if clock.purge_id is not None or version <= clock.organisation_version:
        return clock
    return replace(
        clock,
        organisation_id=organisation_id,
        rule="customer_relationship",
        purge_due_at=purged_at,
        organisation_version=version,
        erasure_ground="customer_retention_expired",
    )


ContractState = Literal["active", "terminated"]


@dataclass(frozen=True)
class OrganisationClock:
    """A customer organisation's retention (P7): purge due a year after its termination date.
    `reinstated_at` is the latest word that the contract is in force (signed or reinstated);
    a termination older than it changes nothing."""

    organisation_id: str
    contract_state: ContractState
    termination_date: datetime | None
    terminated_at: datetime | None
    reinstated_at: datetime | None
    purge_due_at: datetime | None
    purge_id: str | None = None


def start_of_day(day: date) -> datetime:
    """A calendar date as the instant it begins, in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def organisation_terminated(
    clock: OrganisationClock | None,
    *,
    organisation_id: str,
    termination_date: date,
    terminated_at: datetime,
    retention: timedelta,
) -> OrganisationClock:
    """A termination schedules the purge at termination date + retention, from the event's date;
    an older termination than the latest reinstatement changes nothing."""
    if clock is not None and (
        clock.purge_id is not None
        or (clock.reinstated_at is not None and clock.reinstated_at > terminated_at)
    ):
        return clock
    ends = start_of_day(termination_date)
    return OrganisationClock(
        organisation_id=organisation_id,
        contract_state="terminated",
        termination_date=ends,
        terminated_at=terminated_at,
        reinstated_at=clock.reinstated_at if clock else None,
        purge_due_at=ends + retention,
    )


def organisation_in_force(
    clock: OrganisationClock | None, *, organisation_id: str, in_force_at: datetime
) -> OrganisationClock:
    """A contract in force again, reinstated or signed anew, cancels a purge that has not
    started (unless the termination came after it). A purge that has started runs to its end,
    and the organisation begins a new customer relationship: a later termination schedules a
    purge of its own (P7)."""
    if clock is None:
        return OrganisationClock(
            organisation_id=organisation_id,
            contract_state="active",
            termination_date=None,
            terminated_at=None,
            reinstated_at=in_force_at,
            purge_due_at=None,
        )
    if clock.terminated_at is not None and clock.terminated_at > in_force_at:
        return clock
    if clock.purge_id is not None:
        return organisation_in_force(None, organisation_id=organisation_id, in_force_at=in_force_at)
    latest = max(in_force_at, clock.reinstated_at or in_force_at)
    return replace(clock, contract_state="active", reinstated_at=latest, purge_due_at=None)
