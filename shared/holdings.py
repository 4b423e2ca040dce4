"""What a service holds of personal data, as the privacy protocol (shared/participant.py)
sees it: its `Holdings`, the `ErasureNotes` an erasure keeps as it goes, and the scopes'
queries written once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import BaseModel

from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptGround, KeptRecords


def person_ids(scope: ErasureScope) -> list[str]:
    """A person's scope: their data-subject id and the other ids retention names with it."""
    return [scope.id, *scope.data_subject_ids]


DECISION_AWAITED_FOR = timedelta(hours=1)
"""How long a request's organisation decision (access's, P5/P7) is awaited before the request
counts as no customer's: a person's erasure waits for it (retention before it plans, intake
before its part) no longer than this after the request's last activity."""

A_CUSTOMERS = {"organisation_id": {"$gt": ""}}
"""A record tagged with a customer organisation (a string; untagged ones hold None)."""


def owned_by(scope: ErasureScope) -> dict[str, Any]:
    """What an organisation's or a person's scope covers, as a query: the organisation's
    records, or the records the person filed under any of their data-subject ids."""
    if scope.kind == "organisation":
        return {"organisation_id": scope.id}
    if scope.kind == "person":
        return {"requester_id": {"$in": person_ids(scope)}}
    raise ValueError("a request's scope is its own id")


@dataclass(frozen=True)
class Kept:
    """A person's own record that stays, and why (one record may stand for several of the
    person's ids: an account links every contact id of its email)."""

    ground: KeptGround
    record: str


class ErasureNotes(Protocol):
    """What one erasure has deleted so far in this service, over every run of it."""

    async def subjects_found(self, subjects: Iterable[str]) -> None: ...
    async def requests_found(self, request_ids: Iterable[str]) -> None: ...
    async def requests_noted(self) -> set[str]: ...
    async def request_erased(self, request_id: str) -> None: ...
    async def requests_erased(self, request_ids: Iterable[str]) -> None: ...
    async def persons_erased(self, persons: Iterable[str]) -> None: ...
    async def addresses_erased(self, marks: Iterable[str]) -> None: ...
    async def organisation_erased(self, organisation_id: str) -> None: ...
    async def deleted(self, name: str, count: int) -> int: ...
    async def so_far(self) -> tuple[dict[str, int], set[str]]: ...


class Holdings(Protocol):
    """A service's copies of personal data, as the privacy protocol sees them."""

    person_records: str
    """The kind of a person's own record here (`contacts`, `accounts`), named in counts."""

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        """The persons whose data the scope touches: requesters of its requests, and for an
        organisation its representatives."""
        ...

    async def customers_requests(self, scope: ErasureScope) -> set[str]:
        """Of a person's requests, those held here as a customer organisation's (or, where
        this service cannot tell yet, that may be): kept by their erasure (P7) with those
        retention listed, which it may have planned before it read them."""
        ...

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        """Delete every copy in scope but the kept requests, noting counts as it goes."""
        ...

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        """After the deletes: delete these persons' own records here unless a ground keeps
        them (`held`: the persons a legal hold names); what stays, by person, and why. Each
        person is decided as if alone; the batch only saves round trips."""
        ...

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        """What is still in scope, counted from the store: copies of requests not kept, and the
        own records of the `released` persons (those no ground keeps)."""
        ...

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        """Records of the scope's person, or of the `released` persons, that stay with someone
        else's (what they wrote on another's request, kept with it), counted from the store
        after the deletes, by ground."""
        ...

    async def export(self, data_subject_id: str) -> BaseModel:
        """Everything held on the person, machine-readable."""
        ...

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        """Replace the person's contact details wherever they are held here, as the person
        stated them `at` (a customer's statement about them made before stays overruled)."""
        ...
