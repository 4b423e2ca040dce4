"""Who is surveyed, when, and how satisfied they were (P9): pure rules, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.crypto import keyed_hash

Reason = Literal[
    "scheduled",
    "sent",
    "excluded_resolution",
    "erased",
    "not_registered",
    "opted_out",
    "cooldown",
    "not_sampled",
    "reopened",
    "refused",
]
"""Why an invitation went or did not; `refused`: the relay refused its address for good."""
InvitationState = Literal["skipped", "scheduled", "sending", "sent", "cancelled"]
ACTIVE_STATES: tuple[InvitationState, ...] = ("scheduled", "sending", "sent")
DUE_STATES: tuple[InvitationState, ...] = ("scheduled", "sending")
EXCLUDED_RESOLUTIONS = frozenset({"spam", "duplicate"})
SATISFIED_SCORES = frozenset({4, 5})


@dataclass(frozen=True)
class SurveyCandidate:
    """A request surveys watches until it is resolved; ids only, no personal data."""

    request_id: str
    requester_id: str
    channel: str
    organisation_id: str | None
    status: str
    received_at: datetime
    organisation_version: int = 0
    """The version of access's organisation decision applied (0: none yet)."""


@dataclass(frozen=True)
class SurveyPolicy:
    """How often and when people are asked: sample rate, seed, delay, per-person cooldown."""

    sample_rate: float
    sample_seed: str
    delay: timedelta
    cooldown: timedelta


@dataclass(frozen=True)
class Resolution:
    """A request reached `resolved` at an event time; one survey decision is made for it."""

    request_id: str
    requester_id: str
    channel: str
    organisation_id: str | None
    resolution: str | None
    resolved_at: datetime

    @property
    def invitation_id(self) -> str:
        """Deterministic per resolution, so a redelivered or replayed event decides nothing new."""
        return resolution_id(request_id=self.request_id, resolved_at=self.resolved_at)


@dataclass(frozen=True)
class Decision:
    """Whether to survey, why, and when the invitation is due."""

    reason: Reason
    due_at: datetime | None = None

    @property
    def state(self) -> InvitationState:
        return "scheduled" if self.reason == "scheduled" else "skipped"


def resolution_id(*, request_id: str, resolved_at: datetime) -> str:
    digest = hashlib.sha256(f"{request_id}|{resolved_at.isoformat()}".encode()).hexdigest()
    return digest[:32]


def is_sampled(*, request_id: str, rate: float, seed: str) -> bool:
    """Deterministic sampling: a hash of seed and request id, read as a fraction, below the rate."""
    digest = hashlib.sha256(f"{seed}|{request_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def decide(
    *,
    resolution: Resolution,
    policy: SurveyPolicy,
    registered: bool,
    erased: bool,
    opted_out: bool,
    other_invitations_due: Iterable[datetime],
) -> Decision:
    """P9: registered persons only, never erased or opted out, throttled per person, sampled."""
    if resolution.resolution in EXCLUDED_RESOLUTIONS:
        return Decision("excluded_resolution")
    if erased:
        return Decision("erased")
    if not registered:
        return Decision("not_registered")
    if opted_out:
        return Decision("opted_out")
    due_at = resolution.resolved_at + policy.delay
    if any(abs(due_at - other) < policy.cooldown for other in other_invitations_due):
        return Decision("cooldown")
    if not is_sampled(
        request_id=resolution.request_id, rate=policy.sample_rate, seed=policy.sample_seed
    ):
        return Decision("not_sampled")
    return Decision("scheduled", due_at=due_at)


def gives_way(invitation: Invitation, others: Iterable[Invitation], *, cooldown: timedelta) -> bool:
    """Throttled per person when sending too: an invitation gives way to another of the same
    person due within the cooldown that was sent, is being sent, or is due first. Two decided
    before access linked the person's contacts are both scheduled: the first goes."""
    if invitation.due_at is None:
        return False
    mine = (invitation.due_at, invitation.invitation_id)
    for other in others:
        if other.invitation_id == invitation.invitation_id or other.due_at is None:
            continue
        if abs(other.due_at - invitation.due_at) >= cooldown:
            continue
        if other.state != "scheduled" or (other.due_at, other.invitation_id) < mine:
            return True
    return False


def normalise_email(email: str) -> str:
    """The matching key of an email address: Unicode NFC, trimmed, case-folded."""
    return unicodedata.normalize("NFC", email.strip()).casefold()


def link_token(*, secret: bytes, invitation_id: str, purpose: Literal["respond", "opt_out"]) -> str:
    """An unguessable token for a link; derivable again only with the secret (for resends)."""
    mac = hmac.new(secret, f"{purpose}|{invitation_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Csat:
    """Customer satisfaction: the share of responses scoring 4 or 5."""

    responses: int
    satisfied: int

    @property
    def score(self) -> float | None:
        return None if self.responses == 0 else self.satisfied / self.responses


def csat(scores: Iterable[int]) -> Csat:
    listed = list(scores)
    return Csat(responses=len(listed), satisfied=sum(1 for s in listed if s in SATISFIED_SCORES))


@dataclass(frozen=True)
class RegisteredContact:
    """A person registered in the support system: ids, their sealed address, opt-out hash."""

    contact_id: str
    registered_at: datetime
    opt_out_key: str
    organisation_ids: tuple[str, ...] = ()
    """The customer organisations of the person's requests (P7: erased with the last of them)."""


@dataclass(frozen=True)
class Invitation:
    """One survey decision per resolution: skipped with a reason, or an invitation and its fate."""

    invitation_id: str
    request_id: str
    requester_id: str
    channel: str
    organisation_id: str | None
    resolution: str | None
    resolved_at: datetime
    decided_at: datetime
    state: InvitationState
    reason: Reason
    due_at: datetime | None = None
    message_id: str | None = None
    opt_out_key: str | None = None
    attempts: int = 0
    lease_until: datetime | None = None
    sent_at: datetime | None = None
    response_expires_at: datetime | None = None

    @classmethod
    def decided(cls, resolution: Resolution, decision: Decision, *, at: datetime) -> Invitation:
        return cls(
            invitation_id=resolution.invitation_id,
            request_id=resolution.request_id,
            requester_id=resolution.requester_id,
            channel=resolution.channel,
            organisation_id=resolution.organisation_id,
            resolution=resolution.resolution,
            resolved_at=resolution.resolved_at,
            decided_at=at,
            state=decision.state,
            reason=decision.reason,
            due_at=decision.due_at,
        )


@dataclass(frozen=True)
class SurveyKeys:
    """The secrets of surveys: the opt-out/erased hash key and the link-token secret."""

    hash_key: bytes
    link_secret: bytes

    def opt_out_key(self, email: str) -> str:
        return keyed_hash(key=self.hash_key, purpose="opt_out", value=normalise_email(email))

    def erased_key(self, data_subject_id: str) -> str:
        return keyed_hash(key=self.hash_key, purpose="erased", value=data_subject_id)

    def token(self, invitation_id: str, purpose: Literal["respond", "opt_out"]) -> str:
        return link_token(secret=self.link_secret, invitation_id=invitation_id, purpose=purpose)


def response_key_id(invitation_id: str) -> str:
    """The key-store id sealing one response's comment: shredded when the response is
    deleted, so a response kept with its request outlives its author's erasure (P9)."""
    return f"response-{invitation_id}"
