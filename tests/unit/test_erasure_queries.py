"""The query helpers erasures share: requests under a hold are kept out of a scope's query;
counts that do not depend on each other are awaited at once."""

from __future__ import annotations

import asyncio

import pytest

from shared.mongo import each_at_once, kept_out


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


async def test_counts_are_awaited_at_once_and_keep_their_names() -> None:
    """Each count waits for the other to have started: awaited one after another, they would
    never finish."""
    first_started, second_started = asyncio.Event(), asyncio.Event()

    async def count(mine: asyncio.Event, theirs: asyncio.Event, found: int) -> int:
        mine.set()
        await theirs.wait()
        return found

    counted = await asyncio.wait_for(
        each_at_once(
            {
                "messages": count(first_started, second_started, 3),
                "contacts": count(second_started, first_started, 0),
            }
        ),
        timeout=5,
    )
    assert counted == {"messages": 3, "contacts": 0}
    assert list(counted) == ["messages", "contacts"]
