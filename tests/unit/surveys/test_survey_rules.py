"""The survey rules as a specification: who is asked, when, and how CSAT is counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.surveys.domain import (
    Decision,
    Invitation,
    Resolution,
    SurveyKeys,
    SurveyPolicy,
    csat,
    decide,
    gives_way,
    is_sampled,
    token_hash,
)
from services.surveys.settings import SurveySettings

AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
POLICY = SurveyPolicy(
    sample_rate=1.0, sample_seed="s", delay=timedelta(hours=24), cooldown=timedelta(days=30)
)


def _resolution(resolution: str | None = "solved", request_id: str = "r-1") -> Resolution:
    return Resolution(
        request_id=request_id,
        requester_id="p-1",
        channel="web",
        organisation_id=None,
        resolution=resolution,
        resolved_at=AT,
    )


def _decide(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "resolution": _resolution(),
        "policy": POLICY,
        "registered": True,
        "erased": False,
        "opted_out": False,
        "other_invitations_due": [],
    }
    arguments.update(overrides)
    return decide(**arguments).reason  # type: ignore[arg-type]


def test_a_registered_person_is_scheduled_the_delay_after_resolution() -> None:
    decision = decide(
        resolution=_resolution(),
        policy=POLICY,
        registered=True,
        erased=False,
        opted_out=False,
        other_invitations_due=[],
    )
    assert decision.reason == "scheduled"
    assert decision.due_at == AT + timedelta(hours=24)
    assert decision.state == "scheduled"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"resolution": _resolution("spam")}, "excluded_resolution"),
        ({"resolution": _resolution("duplicate")}, "excluded_resolution"),
        ({"erased": True, "registered": False}, "erased"),
        ({"erased": True}, "erased"),
        ({"registered": False}, "not_registered"),
        ({"opted_out": True}, "opted_out"),
        ({"other_invitations_due": [AT - timedelta(days=10)]}, "cooldown"),
        ({"other_invitations_due": [AT + timedelta(days=20)]}, "cooldown"),
        ({"policy": SurveyPolicy(0.0, "s", timedelta(0), timedelta(days=30))}, "not_sampled"),
    ],
)
def test_who_is_not_surveyed_and_why(overrides: dict[str, object], reason: str) -> None:
    assert _decide(**overrides) == reason


def test_a_survey_more_than_a_cooldown_ago_does_not_hold_the_next_back() -> None:
    assert _decide(other_invitations_due=[AT - timedelta(days=40)]) == "scheduled"


def _scheduled(request_id: str, *, due_in_days: int, state: str = "scheduled") -> Invitation:
    resolution = _resolution(request_id=request_id)
    decided = Invitation.decided(
        resolution, Decision("scheduled", AT + timedelta(days=due_in_days)), at=AT
    )
    return Invitation(**{**decided.__dict__, "state": state})


def test_of_one_persons_invitations_within_a_cooldown_the_first_due_goes() -> None:
    """Two invitations scheduled under two contacts before access linked them as one person."""
    first, second = _scheduled("r-1", due_in_days=1), _scheduled("r-2", due_in_days=5)
    both = [first, second]
    assert not gives_way(first, both, cooldown=POLICY.cooldown)
    assert gives_way(second, both, cooldown=POLICY.cooldown)
    sent_later = _scheduled("r-2", due_in_days=5, state="sent")
    assert gives_way(first, [first, sent_later], cooldown=POLICY.cooldown)
    far = _scheduled("r-3", due_in_days=40)
    assert not gives_way(far, [first, far], cooldown=POLICY.cooldown)


def test_sampling_is_deterministic_per_seed_and_request() -> None:
    ids = [str(uuid4()) for _ in range(200)]
    first = [is_sampled(request_id=i, rate=0.3, seed="a") for i in ids]
    assert first == [is_sampled(request_id=i, rate=0.3, seed="a") for i in ids]
    assert first != [is_sampled(request_id=i, rate=0.3, seed="b") for i in ids]


@given(st.text(min_size=1), st.text())
def test_rate_one_always_and_rate_zero_never_samples(request_id: str, seed: str) -> None:
    assert is_sampled(request_id=request_id, rate=1.0, seed=seed)
    assert not is_sampled(request_id=request_id, rate=0.0, seed=seed)


def test_the_sampled_share_follows_the_rate() -> None:
    share = sum(is_sampled(request_id=str(i), rate=0.25, seed="x") for i in range(4000)) / 4000
    assert 0.22 < share < 0.28


def test_opt_out_keys_match_however_the_address_is_written_and_hide_it() -> None:
    keys = SurveyKeys(hash_key=b"k1", link_secret=b"s")
    key = keys.opt_out_key("  Ada.Example@Example.ORG ")
    assert key == keys.opt_out_key("ada.example@example.org")
    assert "ada" not in key
    assert key != SurveyKeys(hash_key=b"k2", link_secret=b"s").opt_out_key(
        "ada.example@example.org"
    )


def test_link_tokens_are_stable_per_invitation_and_differ_by_purpose() -> None:
    keys = SurveyKeys(hash_key=b"k", link_secret=b"secret")
    token = keys.token("inv-1", "respond")
    assert token == keys.token("inv-1", "respond")
    assert token != keys.token("inv-1", "opt_out")
    assert token != keys.token("inv-2", "respond")
    assert len(token) >= 40
    assert token_hash(token) != token


def test_csat_is_the_share_of_four_and_five() -> None:
    summary = csat([5, 4, 3, 1])
    assert (summary.responses, summary.satisfied, summary.score) == (4, 2, 0.5)
    assert csat([]).score is None


def test_durations_come_from_the_environment_as_seconds_or_iso(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SURVEYS_DELAY", "90")
    monkeypatch.setenv("SURVEYS_COOLDOWN", "P14D")
    monkeypatch.setenv("SURVEYS_SAMPLE_RATE", "0.5")
    settings = SurveySettings()
    assert settings.delay == timedelta(seconds=90)
    assert settings.cooldown == timedelta(days=14)
    assert settings.sample_rate == 0.5
    monkeypatch.setenv("SURVEYS_SAMPLE_RATE", "1.5")
    with pytest.raises(ValueError, match="SURVEYS_SAMPLE_RATE"):
        SurveySettings()
