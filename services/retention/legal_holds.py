"""Legal holds: while one is active on an organisation, a person or a request, it is not purged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

HoldKind = Literal["organisation", "person", "request"]

REQUEST_HELD_BY: dict[HoldKind, str] = {
    "request": "request_id",
    "person": "requester_id",
    "organisation": "organisation_id",
}
"""The legal-hold rule for requests, written once: a request is held by a hold on itself, on its
requester or on its organisation (the request field each kind of hold names). `HeldItems`
applies it to one request in Python and hands it to the stores as the fields to exclude."""


@dataclass(frozen=True)
class LegalHold:
    """A hold on one organisation, person or request, for a legal obligation or dispute."""

    hold_id: str
    scope_kind: HoldKind
    scope_id: str
    reason: str
    case_reference: str
    placed_by: str
    placed_at: datetime
    expires_at: datetime | None = None
    released_at: datetime | None = None
    released_by: str | None = None

    def is_active(self, now: datetime) -> bool:
        """Placed, not released, not expired."""
        if self.released_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


def release(hold: LegalHold, *, released_by: str, released_at: datetime) -> LegalHold:
    """Release a hold (a second release changes nothing)."""
    if hold.released_at is not None:
        return hold
    return replace(hold, released_at=released_at, released_by=released_by)


@dataclass(frozen=True)
class HeldItems:
    """The active holds at one moment, indexed by what they cover."""

    organisations: frozenset[str]
    persons: frozenset[str]
    requests: frozenset[str]

    @classmethod
    def of(cls, holds: Iterable[LegalHold], *, now: datetime) -> HeldItems:
        active = [hold for hold in holds if hold.is_active(now)]
        return cls(
            organisations=frozenset(h.scope_id for h in active if h.scope_kind == "organisation"),
            persons=frozenset(h.scope_id for h in active if h.scope_kind == "person"),
            requests=frozenset(h.scope_id for h in active if h.scope_kind == "request"),
        )

    def of_kind(self, kind: HoldKind) -> frozenset[str]:
        return {"organisation": self.organisations, "person": self.persons}.get(kind, self.requests)

    def covers_request(
        self, *, request_id: str, requester_id: str, organisation_id: str | None
    ) -> bool:
        """Whether `REQUEST_HELD_BY` holds this request."""
        named = {
            "request_id": request_id,
            "requester_id": requester_id,
            "organisation_id": organisation_id,
        }
        return any(named[field] in self.of_kind(kind) for kind, field in REQUEST_HELD_BY.items())

    def held_requests(self) -> dict[str, frozenset[str]]:
        """`REQUEST_HELD_BY` for a query: each request field, and the held ids it must not
        name (a store selecting requests to purge excludes every one of them)."""
        return {field: self.of_kind(kind) for kind, field in REQUEST_HELD_BY.items()}

    def held_organisations(self) -> frozenset[str]:
        """An organisation is held by a hold on itself only."""
        return self.organisations
