"""A background loop stops at shutdown even when a library swallows the cancellation."""

from __future__ import annotations

import asyncio

from shared.background import stop_if_cancelled


async def _library_call() -> None:
    """Turns the cancellation it is interrupted with into an ordinary error, as a client library
    did under intake's acknowledgement dispatcher (the 'task did not stop in time' teardowns)."""
    try:
        await asyncio.sleep(0.1)  # a round trip
    except asyncio.CancelledError:
        raise OSError("connection lost") from None


async def _retrying_loop(*, checks: bool, give_up: asyncio.Event | None = None) -> None:
    while give_up is None or not give_up.is_set():
        if checks:
            stop_if_cancelled()
        try:
            await _library_call()
        except OSError:
            await asyncio.sleep(0.01)  # back off, then retry


async def _stopped(task: asyncio.Task[None]) -> bool:
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=1)
    return task in done


async def test_a_loop_that_checks_stops_though_its_cancellation_was_swallowed() -> None:
    task = asyncio.create_task(_retrying_loop(checks=True))
    assert await _stopped(task)
    assert task.cancelled()


async def test_without_the_check_the_same_loop_outlives_its_cancellation() -> None:
    give_up = asyncio.Event()
    task = asyncio.create_task(_retrying_loop(checks=False, give_up=give_up))
    try:
        assert not await _stopped(task)  # what the check is there for
    finally:
        give_up.set()
        await asyncio.wait({task}, timeout=1)
    assert task.done() and not task.cancelled()
