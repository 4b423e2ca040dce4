"""retention's clock and hold handlers: plain async functions of (event, dependencies)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from services.retention.domain import (
    OrganisationClock,
    RetentionClock,
    clock_for_new_request,
    organisation_in_force,
    organisation_terminated,
    record_activity,
    with_decision,
    with_organisation,
    with_purged_organisation,
)
from services.retention.legal_holds import LegalHold, release
from shared.events import CloudEvent
from shared.events.access import AccountContactsLinked, RequestOrganisationDecided
from shared.events.crm import ContractReinstated, ContractSigned, ContractTerminated
from shared.events.intake import (
    MessageAdded,
    OrganisationChanged,
    RequestReceived,
    StatusChanged,
)
from shared.events.legal import LegalHoldPlaced, LegalHoldReleased


class RetentionClocks(Protocol):
    async def was_erased(self, request_id: str) -> bool: ...
    async def organisation_erased_at(self, organisation_id: str) -> datetime | None:
        """When the organisation's purge reached retention's own records; holds until commit."""
        ...

    async def start(self, clock: RetentionClock) -> None: ...
    async def save(self, clock: RetentionClock) -> None: ...
    async def get(self, request_id: str) -> RetentionClock | None: ...


class OrganisationClocks(Protocol):
    async def get(self, organisation_id: str) -> OrganisationClock | None: ...
    async def save(self, clock: OrganisationClock) -> None: ...


class PersonLinks(Protocol):
    async def link(self, account_id: str, contact_ids: Sequence[str]) -> None: ...


class LegalHolds(Protocol):
    async def get(self, hold_id: str) -> LegalHold | None: ...
    async def save(self, hold: LegalHold) -> None: ...


async def start_retention_clock(
    event: CloudEvent, *, clocks: RetentionClocks, retention: timedelta
) -> None:
    """A new request starts its retention clock at the time it was received."""
    received = RequestReceived.from_event(event)
    if await clocks.get(received.request_id) is not None:
        return
    if await clocks.was_erased(received.request_id):
        return  # erased before its announcement got here
    await clocks.start(
        clock_for_new_request(
            request_id=received.request_id,
            requester_id=received.requester_id,
            organisation_id=received.organisation_id,
            received_at=received.received_at,
            retention=retention,
        )
    )


async def record_request_activity(
    event: CloudEvent, *, clocks: RetentionClocks, retention: timedelta
) -> None:
    """P8: a message or status change is activity; the deadline moves to it + retention."""
    request_id, active_at = _activity(event)
    clock = await clocks.get(request_id)
    if clock is None:
        return
    moved = record_activity(clock, active_at=active_at, retention=retention)
    if moved != clock:
        await clocks.save(moved)


async def follow_organisation(
    event: CloudEvent, *, clocks: RetentionClocks, retention: timedelta
) -> bool:
    """P5, P7: a request found to be a customer's follows the contract; one that no longer is
    goes back to the inactivity rule; one found to be a customer's before that customer's purge,
    the word arriving after it, is due at once. Whether it became due."""
    changed = OrganisationChanged.from_event(event)
    clock = await clocks.get(changed.request_id)
    if clock is None:
        return False
    organisation_id = changed.organisation_id
    purged_at = await clocks.organisation_erased_at(organisation_id) if organisation_id else None
    if organisation_id and purged_at is not None and changed.changed_at <= purged_at:
        due_now = True  # the organisation's purge missed it
        moved = with_purged_organisation(
            clock, organisation_id=organisation_id, version=changed.version, purged_at=purged_at
        )
    else:
        due_now = False
        moved = with_organisation(
            clock, organisation_id=organisation_id, version=changed.version, retention=retention
        )
    if moved == clock:
        return False
    await clocks.save(moved)
    return due_now


async def note_organisation_decision(
    event: CloudEvent, *, clocks: RetentionClocks, retention: timedelta, noted: bool = False
) -> None:
    """P7: access's decision itself (`access.memberships`), for every request, a customer's or
    nobody's. The clock follows intake's word (`follow_organisation`: intake applies the
    decision to what it holds, and an erasure or purge here must find it there); this one tells
    retention that a word is coming, so that a person's erasure waits for it
    (`domain.awaits_organisation_decision`). The decision made on receipt (version 1, at the
    time received) starts the clock of a request not read here yet. `noted`: a batch's
    decisions on arrival that a request is nobody's were noted on the clocks there, ahead."""
    decided = RequestOrganisationDecided.from_event(event)
    clock = await clocks.get(decided.request_id)
    if clock is not None and noted and decided.version == 1 and decided.organisation_id is None:
        return
    if clock is None:
        if decided.version != 1 or await _gone(decided, clocks=clocks):
            return
        clock = clock_for_new_request(
            request_id=decided.request_id,
            requester_id=decided.requester_id,
            organisation_id=None,  # as intake files it
            received_at=decided.decided_at,
            retention=retention,
        )
    moved = with_decision(clock, organisation_id=decided.organisation_id, version=decided.version)
    if moved != clock:
        await clocks.save(moved)


async def _gone(decided: RequestOrganisationDecided, *, clocks: RetentionClocks) -> bool:
    """The request was erased, or purged with its organisation, before this word got here."""
    if await clocks.was_erased(decided.request_id):
        return True
    if decided.organisation_id is None:
        return False
    purged_at = await clocks.organisation_erased_at(decided.organisation_id)
    return purged_at is not None and decided.decided_at <= purged_at


def _activity(event: CloudEvent) -> tuple[str, datetime]:
    if event.type == MessageAdded.event_type:
        added = MessageAdded.from_event(event)
        return added.request_id, added.added_at
    changed = StatusChanged.from_event(event)
    return changed.request_id, changed.changed_at


async def schedule_organisation_purge(
    event: CloudEvent, *, organisations: OrganisationClocks, retention: timedelta
) -> None:
    """P7: a terminated contract's organisation is purged at termination date + retention."""
    terminated = ContractTerminated.from_event(event)
    existing = await organisations.get(terminated.organisation_id)
    clock = organisation_terminated(
        existing,
        organisation_id=terminated.organisation_id,
        termination_date=terminated.termination_date,
        terminated_at=terminated.terminated_at,
        retention=retention,
    )
    if clock != existing:
        await organisations.save(clock)


async def contract_in_force(event: CloudEvent, *, organisations: OrganisationClocks) -> None:
    """P7: a contract in force again, reinstated or signed anew, cancels the organisation's
    purge; after a purge, a signed contract begins a new customer relationship."""
    if event.type == ContractSigned.event_type:
        signed = ContractSigned.from_event(event)
        organisation_id, in_force_at = signed.organisation_id, signed.signed_at
    else:
        reinstated = ContractReinstated.from_event(event)
        organisation_id, in_force_at = reinstated.organisation_id, reinstated.reinstated_at
    existing = await organisations.get(organisation_id)
    clock = organisation_in_force(
        existing, organisation_id=organisation_id, in_force_at=in_force_at
    )
    if clock != existing:
        await organisations.save(clock)


async def link_person(event: CloudEvent, *, persons: PersonLinks) -> None:
    """P11: these data-subject ids are one person's (access linked them in one account)."""
    linked = AccountContactsLinked.from_event(event)
    await persons.link(linked.account_id, linked.contact_ids)


def hold_from(placed: LegalHoldPlaced) -> LegalHold:
    """The stored form of a placed hold."""
    return LegalHold(
        hold_id=placed.hold_id,
        scope_kind=placed.scope.kind,
        scope_id=placed.scope.id,
        reason=placed.reason,
        case_reference=placed.case_reference,
        placed_by=placed.placed_by,
        placed_at=placed.placed_at,
        expires_at=placed.expires_at,
    )


async def place_legal_hold(event: CloudEvent, *, holds: LegalHolds) -> None:
    """A hold from the legal topic (or our own API's event, seen again) is recorded once."""
    placed = LegalHoldPlaced.from_event(event)
    if await holds.get(placed.hold_id) is None:
        await holds.save(hold_from(placed))


async def release_legal_hold(event: CloudEvent, *, holds: LegalHolds) -> None:
    """A released hold no longer stops a purge; the scheduler runs a due one at once."""
    released = LegalHoldReleased.from_event(event)
    hold = await holds.get(released.hold_id)
    if hold is None:
        return
    updated = release(hold, released_by=released.released_by, released_at=released.released_at)
    if updated != hold:
        await holds.save(updated)
