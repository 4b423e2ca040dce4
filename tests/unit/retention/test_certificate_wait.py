"""Waiting for a deletion certificate (`?wait=`): a waiter looks again as soon as this
replica's scheduler announces that certificate, does not miss an announcement made while it
was looking, finds one another replica recorded at its next look, and gives up after its wait
without leaving anything behind."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from services.retention.certified import CertificateAnnouncements


class _Store:
    """A certificate store the test records into; counts the looks."""

    def __init__(self) -> None:
        self.recorded: set[str] = set()
        self.looks = 0

    def look(
        self, erasure_id: str, *, then: Callable[[], None] = lambda: None
    ) -> Callable[[], Awaitable[str | None]]:
        async def look() -> str | None:
            self.looks += 1
            found = erasure_id if erasure_id in self.recorded else None
            then()  # what happens after the look read the store
            return found

        return look


async def test_an_announcement_wakes_the_waiter_for_that_certificate_only() -> None:
    board, store = CertificateAnnouncements(recheck=60), _Store()
    mine = asyncio.create_task(board.wait_for("e1", store.look("e1"), within=60))
    other = asyncio.create_task(board.wait_for("e2", store.look("e2"), within=60))
    await asyncio.sleep(0.05)
    assert store.looks == 2
    store.recorded.add("e1")
    board.announce("e1")
    assert await asyncio.wait_for(mine, 5) == "e1"  # not after the 60 s recheck
    assert store.looks == 3  # e2's waiter did not look again
    assert not other.done()
    other.cancel()


async def test_an_announcement_during_the_look_is_not_missed() -> None:
    board, store = CertificateAnnouncements(recheck=60), _Store()

    def recorded_while_looking() -> None:
        if store.looks == 1:  # the certificate is recorded after this look read the store
            store.recorded.add("e1")
            board.announce("e1")

    look = store.look("e1", then=recorded_while_looking)
    assert await asyncio.wait_for(board.wait_for("e1", look, within=60), 5) == "e1"
    assert store.looks == 2


async def test_a_certificate_another_replica_recorded_is_found_at_the_next_look() -> None:
    board, store = CertificateAnnouncements(recheck=0.05), _Store()
    waiter = asyncio.create_task(board.wait_for("e1", store.look("e1"), within=60))
    await asyncio.sleep(0.02)
    store.recorded.add("e1")  # no announcement on this replica
    assert await asyncio.wait_for(waiter, 5) == "e1"


async def test_after_its_wait_a_waiter_gets_nothing_and_leaves_nothing() -> None:
    board, store = CertificateAnnouncements(recheck=0.05), _Store()
    assert await board.wait_for("e1", store.look("e1"), within=0.2) is None
    assert store.looks >= 2  # it looked again before giving up
    assert board._recorded == {} and not board._waiters


async def test_the_check_before_waiting_runs_once_between_the_first_look_and_the_wait() -> None:
    board, store = CertificateAnnouncements(recheck=60), _Store()
    checked: list[int] = []

    async def may_wait() -> None:
        checked.append(store.looks)

    waiter = asyncio.create_task(
        board.wait_for("e1", store.look("e1"), within=60, before_waiting=may_wait)
    )
    await asyncio.sleep(0.05)
    store.recorded.add("e1")
    board.announce("e1")
    assert await asyncio.wait_for(waiter, 5) == "e1"
    assert checked == [1]  # after the first look, once
    assert store.looks == 2  # that look, and the one the announcement woke


async def test_no_check_when_found_at_once_and_a_refused_check_leaves_nothing() -> None:
    board, store = CertificateAnnouncements(recheck=60), _Store()
    store.recorded.add("e1")

    async def refused() -> None:
        raise LookupError("not theirs")

    assert await board.wait_for("e1", store.look("e1"), within=60, before_waiting=refused) == "e1"
    with pytest.raises(LookupError):
        await board.wait_for("e2", store.look("e2"), within=60, before_waiting=refused)
    assert board._recorded == {} and not board._waiters
