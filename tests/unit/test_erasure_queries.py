"""The query helpers erasures share: requests under a hold are kept out of a scope's query."""

from __future__ import annotations

import pytest

from shared.mongo import kept_out


def test_nothing_held_leaves_the_scope_as_it_is() -> None:
    assert kept_out({"organisation_id": "o"}, ()) == {"organisation_id": "o"}


def test_held_requests_are_kept_out_by_the_field_that_names_them() -> None:
    assert kept_out({"organisation_id": "o"}, ("r1", "r2")) == {
        "organisation_id": "o",
        "_id": {"$nin": ["r1", "r2"]},
    }
    assert kept_out({"requester_id": "p"}, ("r1",), field="request_id") == {
        "requester_id": "p",
        "request_id": {"$nin": ["r1"]},
    }


def test_a_scope_that_already_selects_on_the_field_is_refused() -> None:
    with pytest.raises(ValueError, match="already selects on _id"):
        kept_out({"_id": "r1"}, ("r1",))
