"""One person, several contacts (P9): surveys asks a person, not an address.

Access links the contacts of one person in one account (`access.account.contacts_linked.v1`):
a representative whose address the CRM changed writes in from both. Their invitations are
throttled together, and an opt-out given under one of their contacts holds under every other,
for ever: it is spread as the keyed hash of each address, so it outlives the contact it was
given under."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.surveys.domain import Reason, RegisteredContact


class PersonLinks(Protocol):
    async def link(self, account_id: str, contact_ids: Sequence[str]) -> None: ...
    async def of_person(self, person_id: str) -> tuple[str, ...]: ...


class KnownContacts(Protocol):
    async def get(self, contact_id: str) -> RegisteredContact | None: ...


class OptOuts(Protocol):
    async def contains(self, key: str, *, hold: bool = False) -> bool: ...
    async def add(self, key: str, *, at: datetime) -> None: ...


class PendingInvitations(Protocol):
    async def scheduled(
        self, *, request_id: str | None = None, requester_id: str | None = None
    ) -> list[str]: ...
    async def conclude(
        self, invitation_id: str, *, state: str, reason: Reason, at: datetime
    ) -> None: ...


class PersonUnitOfWork(Protocol):
    @property
    def persons(self) -> PersonLinks: ...
    @property
    def contacts(self) -> KnownContacts: ...
    @property
    def opt_outs(self) -> OptOuts: ...
    @property
    def invitations(self) -> PendingInvitations: ...


async def honour_opt_out(
    person_ids: Sequence[str],
    *,
    uow: PersonUnitOfWork,
    at: datetime,
    given: bool = False,
    known: Sequence[RegisteredContact] = (),
) -> int:
    """If the person opted out under any of their contacts (or `given` now), opt every contact
    out and cancel what waits for any of them; how many waiting invitations it cancelled.
    `known`: contacts of the person the caller has at hand (not looked up again)."""
    have = {c.contact_id for c in known}
    contacts = [*known] + [
        c for i in person_ids if i not in have and (c := await uow.contacts.get(i)) is not None
    ]
    keys = sorted({c.opt_out_key for c in contacts})
    opted = {key for key in keys if await uow.opt_outs.contains(key)}
    if not given and not opted:
        return 0
    for key in keys:
        if key not in opted:
            await uow.opt_outs.add(key, at=at)
    cancelled = 0
    for person_id in person_ids:
        for pending in await uow.invitations.scheduled(requester_id=person_id):
            await uow.invitations.conclude(pending, state="skipped", reason="opted_out", at=at)
            cancelled += 1
    return cancelled
