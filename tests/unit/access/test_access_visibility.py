"""P6 as pure rules: order-independent CRM facts, visibility, grounds, and the Mongo filter."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.access.domain import (
    Representative,
    RequestView,
    ShareGrant,
    ground_for,
    visibility_for,
    was_member_at,
    with_membership,
    with_official,
)
from services.access.read_queries import visibility_filter
from shared.tokens import Principal

T0 = datetime(2026, 1, 1, tzinfo=UTC)

Statement = tuple[str, bool, int]  # (fact, value, hour)


def _apply(statements: list[Statement]) -> Representative:
    rep = Representative(organisation_id="org", contact_id="c")
    for fact, value, hour in statements:
        at = T0 + timedelta(hours=hour)
        if fact == "member":
            rep = with_membership(rep, member=value, at=at)
        else:
            rep = with_official(rep, official=value, at=at)
    return rep


@given(
    st.lists(
        st.tuples(st.sampled_from(["member", "official"]), st.booleans(), st.integers(0, 1000)),
        min_size=1,
        max_size=6,
        unique_by=lambda s: (s[0], s[2]),
    )
)
def test_crm_facts_end_the_same_in_any_arrival_order(statements: list[Statement]) -> None:
    results = {
        (r.member, r.member_at, r.official, r.official_at, r.is_member, r.is_official_contact)
        for r in (_apply(list(order)) for order in itertools.permutations(statements))
    }
    assert len(results) == 1


def test_membership_at_a_past_time_survives_leaving() -> None:
    rep = _apply([("member", True, 1), ("member", False, 5)])
    assert not was_member_at(rep, T0)
    assert was_member_at(rep, T0 + timedelta(hours=3))
    assert not was_member_at(rep, T0 + timedelta(hours=5))
    late = _apply([("member", False, 5), ("member", True, 1)])
    assert was_member_at(late, T0 + timedelta(hours=3))


def _view(request_id: str, requester: str, org: str | None) -> RequestView:
    return RequestView(
        request_id=request_id,
        reference="SR-1",
        channel="web",
        status="open",
        lawful_basis="contract",
        organisation_id=org,
        requester_id=requester,
        received_at=T0,
        updated_at=T0,
        requester_name=None,
        requester_email=None,
        subject=None,
        body=None,
    )


def test_grounds_follow_the_policy() -> None:
    official = Representative("org", "o", member=True, member_at=T0, official=True, official_at=T0)
    former = Representative("org", "f", member=False, member_at=T0, member_since=T0)
    grant = ShareGrant("g1", "r-org", "col", "why", "s", T0, T0 + timedelta(hours=1))
    org_request, own = _view("r-org", "f", "org"), _view("r-own", "f", None)

    as_official = visibility_for(
        Principal("o", "requester"),
        contact_ids=("o",),
        representatives=[official],
        grants=[],
        now=T0,
    )
    read = ground_for(as_official, org_request)
    assert read is not None
    assert (read.ground, read.organisation_id) == ("official_contact", "org")
    as_former = visibility_for(
        Principal("f", "requester"), contact_ids=("f",), representatives=[former], grants=[], now=T0
    )
    assert ground_for(as_former, org_request) is None
    own_read = ground_for(as_former, own)
    assert own_read is not None
    assert own_read.ground == "requester"

    colleague = Principal("col", "colleague")
    now = visibility_for(colleague, contact_ids=(), representatives=[], grants=[grant], now=T0)
    shared = ground_for(now, org_request)
    assert shared is not None
    assert (shared.ground, shared.grant_id) == ("share_grant", "g1")
    later = visibility_for(
        colleague, contact_ids=(), representatives=[], grants=[grant], now=T0 + timedelta(hours=1)
    )
    assert ground_for(later, org_request) is None
    admin = visibility_for(
        Principal("a", "admin"), contact_ids=(), representatives=[], grants=[], now=T0
    )
    assert ground_for(admin, own) is None


def test_the_query_filter_says_exactly_what_may_be_read() -> None:
    official = Representative("org", "o", member=True, member_at=T0, official=True, official_at=T0)
    visibility = visibility_for(
        Principal("o", "requester"),
        contact_ids=("o", "o2"),
        representatives=[official],
        grants=[],
        now=T0,
    )
    assert visibility_filter(visibility) == {
        "$or": [
            {"requester_id": {"$in": ["o", "o2"]}, "organisation_id": {"$in": [None, "org"]}},
            {"organisation_id": {"$in": ["org"]}},
        ]
    }
    nobody = visibility_for(
        Principal("a", "admin"), contact_ids=(), representatives=[], grants=[], now=T0
    )
    assert visibility_filter(nobody) == {"_id": {"$in": []}}
    staff = visibility_for(
        Principal("s", "support_staff"), contact_ids=(), representatives=[], grants=[], now=T0
    )
    assert visibility_filter(staff) == {}
