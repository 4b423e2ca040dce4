"""Legal holds, the purge lifecycle and the person-erasure plan, as pure domain logic."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from services.retention.domain import (
    awaits_organisation_decision,
    clock_for_new_request,
    with_decision,
)
from services.retention.dsr import Kept, plan_person_erasure
from services.retention.erasure import (
    ParticipantCompletion,
    asked,
    certificate,
    new_purge,
    record_completion,
    subjects_to_shred,
)
from services.retention.legal_holds import HeldItems, LegalHold, release
from shared.holdings import DECISION_AWAITED_FOR

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def hold(kind: str = "organisation", scope_id: str = "o1", **extra: object) -> LegalHold:
    return LegalHold(
        hold_id=f"h-{kind}-{scope_id}",
        scope_kind=kind,  # type: ignore[arg-type]
        scope_id=scope_id,
        reason="contractual_dispute",
        case_reference="CASE-1",
        placed_by="legal",
        placed_at=NOW - timedelta(days=1),
        **extra,  # type: ignore[arg-type]
    )


def test_a_hold_is_active_until_released_or_expired() -> None:
    assert hold().is_active(NOW)
    assert not release(hold(), released_by="legal", released_at=NOW).is_active(NOW)
    expiring = hold(expires_at=NOW + timedelta(hours=1))
    assert expiring.is_active(NOW)
    assert not expiring.is_active(NOW + timedelta(hours=1))


def test_held_items_cover_a_request_through_itself_its_person_or_its_organisation() -> None:
    held = HeldItems.of(
        [hold("organisation", "o1"), hold("person", "p2"), hold("request", "r3")], now=NOW
    )
    assert held.covers_request(request_id="r9", requester_id="p9", organisation_id="o1")
    assert held.covers_request(request_id="r9", requester_id="p2", organisation_id=None)
    assert held.covers_request(request_id="r3", requester_id="p9", organisation_id=None)
    assert not held.covers_request(request_id="r9", requester_id="p9", organisation_id="o9")


def test_released_holds_cover_nothing() -> None:
    released = release(hold("request", "r3"), released_by="legal", released_at=NOW)
    held = HeldItems.of([released], now=NOW)
    assert not held.covers_request(request_id="r3", requester_id="p", organisation_id=None)


def completion(*subjects: str, left: int = 0, kept: tuple[str, ...] = ()) -> ParticipantCompletion:
    """An answer that deleted two requests and counted `left` still in scope afterwards."""
    return ParticipantCompletion(
        completed_at=NOW,
        counts={"requests": 2},
        data_subject_ids=subjects,
        remaining={"requests": left},
        kept_data_subject_ids=kept,
    )


def purge(kind: str = "organisation"):
    return new_purge(
        erasure_id="e1",
        scope_kind=kind,  # type: ignore[arg-type]
        scope_id="o1" if kind == "organisation" else "p1",
        ground="customer_retention_expired",
        requested_at=NOW,
        within=timedelta(hours=24),
    )


def test_a_purge_completes_only_when_every_participant_has_answered() -> None:
    current = asked(purge(), at=NOW)
    assert current.state == "erasure_requested"
    for name in ("intake", "access", "surveys"):
        current = record_completion(current, participant=name, completion=completion("p1"))
        assert current.state == "erasure_requested"
    current = record_completion(current, participant="retention", completion=completion())
    assert current.state == "participants_completed"
    assert current.missing_participants == ()


def test_an_answer_with_records_left_in_scope_is_not_a_completion() -> None:
    """A certificate only when true: something left means the participant is asked again."""
    unfinished = record_completion(
        asked(purge(), at=NOW), participant="intake", completion=completion("p1", left=3)
    )
    assert "intake" in unfinished.missing_participants
    assert unfinished.unfinished == {"intake": {"requests": 3}}
    minutes = timedelta(minutes=10)
    assert unfinished.should_ask_again(now=NOW + minutes, late_after=minutes)
    finished = record_completion(unfinished, participant="intake", completion=completion("p1"))
    assert "intake" not in finished.missing_participants and finished.unfinished == {}


def test_an_answer_that_did_not_count_what_is_left_is_not_a_completion() -> None:
    uncounted = ParticipantCompletion(
        completed_at=NOW, counts={"requests": 2}, data_subject_ids=(), remaining=None
    )
    answered = record_completion(asked(purge(), at=NOW), participant="access", completion=uncounted)
    assert "access" in answered.missing_participants


def test_a_repeated_completion_keeps_the_first_answer() -> None:
    first = record_completion(
        asked(purge(), at=NOW), participant="intake", completion=completion("p1")
    )
    again = record_completion(first, participant="intake", completion=completion("p1", "p2"))
    assert again == first


def test_a_participant_is_late_after_the_allowed_time_and_asked_again_at_that_pace() -> None:
    waiting = record_completion(
        asked(purge(), at=NOW), participant="intake", completion=completion()
    )
    minutes = timedelta(minutes=10)
    assert not waiting.is_late(now=NOW + timedelta(minutes=5), late_after=minutes)
    assert waiting.is_late(now=NOW + minutes, late_after=minutes)
    assert waiting.should_ask_again(now=NOW + minutes, late_after=minutes)
    again = asked(waiting, at=NOW + minutes)
    assert again.times_asked == 2
    assert again.is_late(now=NOW + timedelta(minutes=15), late_after=minutes)
    assert not again.should_ask_again(now=NOW + timedelta(minutes=15), late_after=minutes)


def test_keys_shredded_are_the_reported_subjects_except_those_still_retained() -> None:
    done = record_completion(purge(), participant="intake", completion=completion("p1", "p2"))
    assert subjects_to_shred(done, still_retained=frozenset({"p2"})) == ("p1",)


def test_a_person_one_participant_kept_keeps_their_key() -> None:
    """access kept the account (another customer membership): the key is not shredded."""
    done = record_completion(purge(), participant="intake", completion=completion("p1", "p2"))
    done = record_completion(done, participant="access", completion=completion(kept=("p2",)))
    assert subjects_to_shred(done, still_retained=frozenset()) == ("p1",)


def test_a_person_erasure_shreds_the_person() -> None:
    assert subjects_to_shred(purge("person"), still_retained=frozenset({"p1"})) == ("p1",)


def test_the_certificate_holds_scope_ground_times_and_counts_only() -> None:
    current = asked(purge(), at=NOW)
    current = record_completion(
        current, participant="intake", completion=completion("person-secret-id")
    )
    issued = certificate(current, certified_at=NOW)
    assert issued["scope"] == {"kind": "organisation", "id": "o1"}
    assert issued["ground"] == "customer_retention_expired"
    assert issued["participants"]["intake"] == {
        "completed_at": NOW,
        "counts": {"requests": 2},
        "remaining": {"requests": 0},
        "kept": [],
    }
    assert issued["remaining_total"] == 0
    assert "person-secret-id" not in json.dumps(issued, default=str)


def clock(request_id: str, organisation_id: str | None, *, decided: bool = True):
    new = clock_for_new_request(
        request_id=request_id,
        requester_id="p1",
        organisation_id=organisation_id,
        received_at=NOW,
        retention=timedelta(days=365),
    )
    return replace(new, organisation_version=1) if decided else new


def test_person_erasure_keeps_customer_records_and_held_requests() -> None:
    held = HeldItems.of([hold("request", "r-held")], now=NOW)
    plan = plan_person_erasure(
        person_ids=("p1",),
        clocks=[clock("r-public", None), clock("r-customer", "o1"), clock("r-held", None)],
        held=held,
        now=NOW,
    )
    assert plan.erase
    assert plan.kept == (
        Kept("request", "r-customer", "customer_records"),
        Kept("request", "r-held", "legal_hold"),
    )
    assert plan.keep_request_ids == ("r-customer", "r-held")


def test_a_held_person_is_not_erased() -> None:
    plan = plan_person_erasure(
        person_ids=("p1",),
        clocks=[clock("r1", None)],
        held=HeldItems.of([hold("person", "p1")], now=NOW),
        now=NOW,
    )
    assert not plan.erase
    assert plan.kept == (Kept("person", "p1", "legal_hold"),)


def test_a_person_held_under_another_of_their_ids_is_not_erased() -> None:
    plan = plan_person_erasure(
        person_ids=("crm-1", "p1"),
        clocks=[clock("r1", None)],
        held=HeldItems.of([hold("person", "p1")], now=NOW),
        now=NOW,
    )
    assert not plan.erase
    assert plan.kept == (Kept("person", "p1", "legal_hold"),)


def test_a_person_whose_request_awaits_its_organisation_decision_is_not_erased_yet() -> None:
    """P7 before P11: whether a customer keeps the request just filed is not known yet."""
    plan = plan_person_erasure(
        person_ids=("p1",),
        clocks=[clock("r-old", None), clock("r-new", None, decided=False)],
        held=HeldItems.of([], now=NOW),
        now=NOW + timedelta(seconds=1),
    )
    assert not plan.erase
    assert plan.awaits == ("r-new",)
    assert plan.kept == ()


def test_a_decision_awaited_longer_than_its_limit_or_under_purge_holds_nothing_back() -> None:
    undecided = clock("r-new", None, decided=False)
    plan = plan_person_erasure(
        person_ids=("p1",),
        clocks=[undecided, replace(clock("r-purged", None, decided=False), purge_id="x")],
        held=HeldItems.of([], now=NOW),
        now=NOW + DECISION_AWAITED_FOR + timedelta(seconds=1),
    )
    assert plan.erase and plan.awaits == () and plan.kept == ()


def test_a_decision_read_but_not_yet_applied_by_intake_is_awaited() -> None:
    """access said the request is a customer's; intake, whose copy the erasure must find, has
    not applied it yet (retention follows intake's word): the erasure waits. A decision that
    changes nothing intake holds (nobody's) is not waited for."""
    undecided = clock("r-new", None, decided=False)
    customer = with_decision(undecided, organisation_id="o1", version=1)
    nobodys = with_decision(undecided, organisation_id=None, version=1)
    assert awaits_organisation_decision(customer, now=NOW)
    assert not awaits_organisation_decision(nobodys, now=NOW)
    applied = replace(customer, organisation_id="o1", organisation_version=1)
    assert not awaits_organisation_decision(applied, now=NOW)
    assert with_decision(applied, organisation_id=None, version=1) == applied  # not newer
