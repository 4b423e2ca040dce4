"""The purge lifecycle and the deletion certificate (P7, P8, P11).

pending → erasure_requested → participants_completed → keys_shredded → certified. Each state is
persisted before the next step starts, so a purge interrupted by a crash resumes where it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from shared.events import CloudEvent
from shared.events.privacy import PARTICIPANTS, ErasureGround, ErasureRequested, ErasureScope
from shared.events.sources import RETENTION

PurgeState = Literal[
    "pending", "erasure_requested", "participants_completed", "keys_shredded", "certified"
]
ScopeKind = Literal["organisation", "person", "request"]


@dataclass(frozen=True)
class ParticipantCompletion:
    """One participant's answer: when, what it deleted, what it found left in scope afterwards
    (counted from its store), and what it kept on which ground (counts and ids only)."""

    completed_at: datetime
    counts: dict[str, int]
    data_subject_ids: tuple[str, ...]
    remaining: dict[str, int] | None = None
    kept: tuple[dict[str, Any], ...] = ()
    kept_data_subject_ids: tuple[str, ...] = ()

    @property
    def nothing_left(self) -> bool:
        """Counted, and nothing in scope was left: only such an answer completes a purge."""
        return self.remaining is not None and not any(self.remaining.values())


@dataclass(frozen=True)
class Purge:
    """One erasure driven by retention, from due (or asked) to certified."""

    erasure_id: str
    scope_kind: ScopeKind
    scope_id: str
    ground: ErasureGround
    requested_at: datetime
    deadline: datetime
    keep_request_ids: tuple[str, ...] = ()
    state: PurgeState = "pending"
    participants: dict[str, ParticipantCompletion] = field(default_factory=dict)
    asked_at: datetime | None = None
    times_asked: int = 0
    keys_shredded: int = 0
    keep_data_subject_ids: tuple[str, ...] = ()
    data_subject_ids: tuple[str, ...] = ()
    """Persons whose last request the scope is, as retention knows (an idle request's
    requester): released by every participant, also one their copies have not reached yet."""
    kept_requests: dict[str, int] = field(default_factory=dict)
    """How many requests the scope keeps, by ground (legal_hold, customer_records)."""
    unfinished: dict[str, dict[str, int]] = field(default_factory=dict)
    """Participants that answered with records still in scope: what they counted left."""

    @property
    def missing_participants(self) -> tuple[str, ...]:
        """Participants that have not answered, or answered with something still left."""
        return tuple(p for p in PARTICIPANTS if p not in self.participants)

    def is_late(self, *, now: datetime, late_after: timedelta) -> bool:
        """Asked, and still not all answered `late_after` after the first ask (an alert)."""
        return (
            self.state == "erasure_requested"
            and now - self.requested_at >= late_after
            and bool(self.missing_participants)
        )

    def should_ask_again(self, *, now: datetime, late_after: timedelta) -> bool:
        """Late, and the last ask was at least `late_after` ago."""
        return (
            self.is_late(now=now, late_after=late_after)
            and self.asked_at is not None
            and now - self.asked_at >= late_after
        )


def new_purge(
    *,
    erasure_id: str,
    scope_kind: ScopeKind,
    scope_id: str,
    ground: ErasureGround,
    requested_at: datetime,
    within: timedelta,
    keep_request_ids: tuple[str, ...] = (),
    kept_requests: dict[str, int] | None = None,
    keep_data_subject_ids: tuple[str, ...] = (),
    data_subject_ids: tuple[str, ...] = (),
) -> Purge:
    """A purge that must be certified within `within` of being requested."""
    return Purge(
        kept_requests=dict(kept_requests or {}),
        keep_data_subject_ids=keep_data_subject_ids,
        data_subject_ids=data_subject_ids,
        erasure_id=erasure_id,
        scope_kind=scope_kind,
        scope_id=scope_id,
        ground=ground,
        requested_at=requested_at,
        deadline=requested_at + within,
        keep_request_ids=keep_request_ids,
    )


def asked(purge: Purge, *, at: datetime) -> Purge:
    """The erasure request was (re)published to the participants."""
    state: PurgeState = "erasure_requested" if purge.state == "pending" else purge.state
    return replace(purge, state=state, asked_at=at, times_asked=purge.times_asked + 1)


def record_completion(
    purge: Purge, *, participant: str, completion: ParticipantCompletion
) -> Purge:
    """Keep each participant's first answer that found nothing left in scope; an answer with
    something left is noted as unfinished, and the participant is asked again (it is late).
    All answered with nothing left → participants_completed."""
    if participant in purge.participants or purge.state not in ("pending", "erasure_requested"):
        return purge
    if not completion.nothing_left:
        unfinished = {**purge.unfinished, participant: dict(completion.remaining or {})}
        return purge if unfinished == purge.unfinished else replace(purge, unfinished=unfinished)
    participants = {**purge.participants, participant: completion}
    unfinished = {k: v for k, v in purge.unfinished.items() if k != participant}
    state: PurgeState = purge.state
    if all(p in participants for p in PARTICIPANTS):
        state = "participants_completed"
    return replace(purge, participants=participants, unfinished=unfinished, state=state)


def subjects_to_shred(purge: Purge, *, still_retained: frozenset[str]) -> tuple[str, ...]:
    """Whose keys go: every subject a participant erased (and the person, for a person scope),
    except subjects some participant kept on a ground, or whose other data is still retained
    (kept requests, other live requests). A person's other ids go on the same terms."""
    reported = {s for c in purge.participants.values() for s in c.data_subject_ids}
    kept = {s for c in purge.participants.values() for s in c.kept_data_subject_ids}
    if purge.scope_kind == "person":
        others = set(purge.data_subject_ids) & reported
        return (purge.scope_id, *sorted(others - kept - still_retained - {purge.scope_id}))
    return tuple(sorted(reported - kept - still_retained))


def certificate(purge: Purge, *, certified_at: datetime) -> dict[str, Any]:
    """The deletion certificate: scope, ground, times, what each participant deleted and found
    left afterwards (nothing, or there would be no certificate), and what was kept and why;
    counts only, never personal data."""
    return {
        "erasure_id": purge.erasure_id,
        "scope": {"kind": purge.scope_kind, "id": purge.scope_id},
        "kept_request_count": sum(purge.kept_requests.values()),
        "kept": [
            {"records": "requests", "count": count, "ground": ground}
            for ground, count in sorted(purge.kept_requests.items())
        ]
        + [dict(k) for _, c in sorted(purge.participants.items()) for k in c.kept],
        "ground": purge.ground,
        "requested_at": purge.requested_at,
        "deadline": purge.deadline,
        "participants": {
            name: {
                "completed_at": c.completed_at,
                "counts": dict(c.counts),
                "remaining": dict(c.remaining or {}),
                "kept": [dict(k) for k in c.kept],
            }
            for name, c in sorted(purge.participants.items())
        },
        "remaining_total": sum(
            sum((c.remaining or {}).values()) for c in purge.participants.values()
        ),
        "keys_shredded": purge.keys_shredded,
        "certified_at": certified_at,
    }


def erasure_requested_event(purge: Purge) -> CloudEvent:
    """The erasure request every participant acts on (same erasure id when asked again)."""
    requested = ErasureRequested(
        erasure_id=purge.erasure_id,
        scope=ErasureScope(
            kind=purge.scope_kind,
            id=purge.scope_id,
            keep_request_ids=purge.keep_request_ids,
            keep_data_subject_ids=purge.keep_data_subject_ids,
            data_subject_ids=purge.data_subject_ids,
        ),
        ground=purge.ground,
        requested_at=purge.requested_at,
        deadline=purge.deadline,
    )
    return RETENTION.event(
        subject=purge.erasure_id,
        time=purge.requested_at,
        data=requested,
    )
