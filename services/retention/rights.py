"""Data-subject rights (P11), the service layer: export, rectification, erasure or objection,
and what an erasure became. Plain async functions over retention's stores; the caller's rights
are checked here, so every entrypoint gets the same rule."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from services.retention.certified import CertificateAnnouncements
from services.retention.erasure import Purge
from services.retention.errors import NotAllowedError, NotFoundError
from services.retention.held_erasures import ErasureDecision, start_person_erasure
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, seal
from shared.events.intake import ContactDetails
from shared.events.privacy import RectificationRequested
from shared.events.sources import RETENTION
from shared.tokens import Principal

if TYPE_CHECKING:
    from services.retention.unit_of_work import RetentionStores

STAFF_ROLES = frozenset({"support_staff", "admin"})


@dataclass(frozen=True)
class RetentionPeriods:
    """How long an export waits for late services, a download link lives, an erasure may take,
        after how long a participant that has not answered is late, and how long an erasure waits for
    an organisation decision."""

    export_wait: timedelta
    link_lifetime: timedelta
    erasure_within: timedelta
    late_after: timedelta
    decision_wait: timedelta = timedelta(0)
    """How long a person's erasure waits, before answering, for the organisation decision of a
    request of theirs just filed (then it is held back until the decision comes)."""


@dataclass(frozen=True)
class Retention:
    """What retention's use cases run over: its stores, the key store, the clock, the policy's
    periods, a way to wake the purge scheduler (an erasure asked for, a hold released), and the
    scheduler's announcements of the certificates it records (for callers waiting on one)."""

    stores: RetentionStores
    keys: KeyStore
    clock: Clock
    periods: RetentionPeriods
    wake_scheduler: Callable[[], None]
    certificates_recorded: CertificateAnnouncements = field(
        default_factory=CertificateAnnouncements
    )


def require_staff(who: Principal) -> None:
    """Support staff and admins only."""
    if who.role not in STAFF_ROLES:
        raise NotAllowedError("support staff or admin role required")


def may_act_for(who: Principal, person_id: str) -> None:
    """Staff act on anyone's behalf; a requester on themselves only."""
    if who.role in STAFF_ROLES or (who.role == "requester" and who.principal_id == person_id):
        return
    raise NotAllowedError("not allowed to act for that person")


async def request_rectification(
    person_id: str,
    details: ContactDetails,
    *,
    who: Principal,
    ctx: Retention,
) -> str:
    """Publish corrected contact details (sealed) for every service to apply, under each of
    the person's data-subject ids; the rectification's id."""
    may_act_for(who, person_id)
    now = ctx.clock.now()
    rectification_id = str(uuid4())
    person_ids = await ctx.stores.reads().persons.of_person(person_id)
    async with ctx.stores.transaction() as uow:
        for subject in person_ids:
            requested = RectificationRequested(
                rectification_id=rectification_id,
                data_subject_id=subject,
                requested_at=now,
                details=await seal(details, data_subject_id=subject, keys=ctx.keys),
            )
            event = RETENTION.event(subject=subject, time=now, data=requested)
            await uow.publish(topics.PRIVACY_DSR, event)
    return rectification_id


async def erase_person(
    person_id: str,
    *,
    objection: bool,
    who: Principal,
    ctx: Retention,
) -> ErasureDecision:
    """Erasure or objection: erase the person everywhere, under every data-subject id they
    have, keeping what must be kept (their requests under a legal hold or in a customer's
    records); nothing yet if they are held, and everything once the hold goes (or once the
    organisation decision of a request of theirs has come)."""
    may_act_for(who, person_id)
    decision = await start_person_erasure(
        person_id,
        ground="objection" if objection else "data_subject_request",
        stores=ctx.stores,
        now=ctx.clock.now(),
        within=ctx.periods.erasure_within,
        decisions_within=ctx.periods.decision_wait.total_seconds(),
    )
    return decision


async def erasure(erasure_id: str, *, who: Principal, ctx: Retention) -> Purge:
    """An erasure and where it stands; a person's own, or any for staff."""
    purge = await ctx.stores.reads().purges.get(erasure_id)
    if purge is None:
        raise NotFoundError("no such erasure")
    _may_see(who, kind=purge.scope_kind, scope_id=purge.scope_id)
    return purge


async def deletion_certificate(
    erasure_id: str, *, who: Principal, ctx: Retention, wait: float = 0
) -> dict[str, Any]:
    """The deletion certificate: scope, ground, times, counts; no personal data. With `wait`,
    up to that many seconds for it to be recorded, once the caller may see the erasure."""
    certificates = ctx.stores.reads().certificates
    if wait > 0:  # not recorded yet: an erasure unknown or not theirs is said at once
        found = await ctx.certificates_recorded.wait_for(
            erasure_id,
            lambda: certificates.get(erasure_id),
            within=wait,
            before_waiting=lambda: erasure(erasure_id, who=who, ctx=ctx),
        )
    else:
        found = await certificates.get(erasure_id)
    if found is None:
        raise NotFoundError("no certificate (yet) for that erasure")
    _may_see(who, kind=found["scope"]["kind"], scope_id=found["scope"]["id"])
    return found


def _may_see(who: Principal, *, kind: str, scope_id: str) -> None:
    if kind == "person":
        may_act_for(who, scope_id)
    else:
        require_staff(who)
