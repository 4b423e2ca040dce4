"""Audited reads of requests (P6): who may read what, right now, and the audit of every read.

A read looks its facts up in committed data, concurrently where they are independent (the
principal's account and memberships, the request itself), then writes the read's audit record
with its event in it (one document, one round trip, a detail or a whole page alike) before the
content is returned. No transaction is needed: the one write is all or nothing by itself.
Nothing about who may read is kept between requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from uuid import uuid4

from services.access.domain import (
    ReadAudit,
    Representative,
    RequestFilters,
    RequestRead,
    RequestView,
    ShareGrant,
    Visibility,
    ground_for,
    visibility_for,
)
from services.access.handlers import NotFoundError
from services.access.ports import AccessUnitOfWork
from shared import topics
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.access import RequestContentRead, RequestReadOn
from shared.events.sources import ACCESS
from shared.tokens import Principal

EVERYTHING = Visibility(everything=True)


async def visibility_of(
    principal: Principal, *, uow: AccessUnitOfWork, now: datetime
) -> Visibility:
    """The facts that decide what this principal may read, right now. `uow` must read outside
    a transaction: a requester's account and memberships are looked up concurrently."""
    contact_ids: tuple[str, ...] = ()
    reps: list[Representative] = []
    grants: list[ShareGrant] = []
    if principal.role == "requester":
        # The principal's own contact is one of the account's contacts (or the only one, with
        # no account yet): its memberships are fetched alongside the account, and only the
        # other contacts the account links need a second look-up.
        account, reps = await asyncio.gather(
            uow.accounts.by_contact(principal.principal_id),
            uow.directory.representatives_of_contacts([principal.principal_id]),
        )
        contact_ids = tuple(account["contact_ids"]) if account else (principal.principal_id,)
        others = [c for c in contact_ids if c != principal.principal_id]
        if others:
            reps += await uow.directory.representatives_of_contacts(others)
    elif principal.role == "colleague":
        grants = await uow.grants.of_colleague(principal.principal_id, now=now)
    return visibility_for(
        principal, contact_ids=contact_ids, representatives=reps, grants=grants, now=now
    )


async def read_request(
    request_id: str, *, principal: Principal, uow: AccessUnitOfWork, clock: Clock
) -> RequestView:
    """One request the principal may read, its read audited; NotFoundError otherwise."""
    now = clock.now()
    committed = uow.outside_transaction()
    visibility, view = await asyncio.gather(
        visibility_of(principal, uow=committed, now=now),
        committed.requests.get(request_id, visibility=EVERYTHING),
    )
    if view is None or ground_for(visibility, view) is None:
        raise NotFoundError("no such request")
    await _audit_reads([view], visibility=visibility, principal=principal, uow=uow, now=now)
    return view


async def list_requests(
    *,
    principal: Principal,
    filters: RequestFilters,
    cursor: str | None,
    limit: int,
    uow: AccessUnitOfWork,
    clock: Clock,
) -> list[RequestView]:
    """One page of the requests the principal may read, newest first; every listed one audited."""
    now = clock.now()
    committed = uow.outside_transaction()
    visibility = await visibility_of(principal, uow=committed, now=now)
    views = await committed.requests.page(
        visibility=visibility, filters=filters, cursor=cursor, limit=limit
    )
    await _audit_reads(views, visibility=visibility, principal=principal, uow=uow, now=now)
    return views


async def _audit_reads(
    views: list[RequestView],
    *,
    visibility: Visibility,
    principal: Principal,
    uow: AccessUnitOfWork,
    now: datetime,
) -> None:
    """Audit the read: one record and one event naming every request it returned and the
    ground of each, written before the answer. A read that returned nothing read nothing."""
    if not views:
        return
    requests = []
    for view in views:
        ground = ground_for(visibility, view)
        if ground is None:  # the query already filtered; this would be a bug, so fail closed
            raise NotFoundError("no such request")
        requests.append(RequestRead(request_id=view.request_id, **asdict(ground)))
    audit = ReadAudit(
        audit_id=str(uuid4()),
        reader_id=principal.principal_id,
        reader_role=principal.role,
        read_at=now,
        requests=tuple(requests),
    )
    await uow.record_read(audit, topic=topics.ACCESS_AUDIT, event=read_event(audit))


def read_event(audit: ReadAudit) -> CloudEvent:
    """The event announcing a read (`access.request.read.v2`), keyed by its audit id."""
    return ACCESS.event(
        subject=audit.audit_id,
        time=audit.read_at,
        data=RequestContentRead(
            audit_id=audit.audit_id,
            reader_id=audit.reader_id,
            reader_role=audit.reader_role,
            read_at=audit.read_at,
            requests=tuple(RequestReadOn(**asdict(read)) for read in audit.requests),
        ),
    )
