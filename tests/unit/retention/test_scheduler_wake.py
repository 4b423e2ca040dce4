"""The purge scheduler's pacing: a wake-up (a participant's completion committed, an erasure
asked for) that comes while a pass is running is not lost; the next pass runs at once instead
of after the scheduler's interval (an erasure's certificate waited out that second). Passes
woken within the interval leave the gauges alone (four completions per erasure each woke a
pass that also counted the whole overview), and a pass woken by a participant's completion
only moves the purges under way on (it also looked for due purges and late participants)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, cast

from services.retention.scheduler import PurgeScheduler, SchedulerPolicy


class _Paced(PurgeScheduler):
    """The real loop around passes that only record when they ran."""

    def __init__(self, every: float = 30) -> None:
        nothing = cast(Any, None)
        super().__init__(
            stores=nothing,
            keys=nothing,
            clock=nothing,
            metrics=nothing,
            policy=SchedulerPolicy(
                every=timedelta(seconds=every),
                batch_size=1,
                erasure_within=timedelta(days=1),
                late_after=timedelta(minutes=10),
            ),
        )
        self.passes: list[float] = []
        self.observed: list[bool] = []
        self.whole: list[bool] = []

    async def run_once(self, *, observe: bool = True, everything: bool = True) -> None:
        self.passes.append(time.monotonic())
        self.observed.append(observe)
        self.whole.append(everything)
        if len(self.passes) == 1:
            await asyncio.sleep(0.05)
            self.wake()  # news arrives while the first pass is still looking
            await asyncio.sleep(0.05)


async def test_a_wake_during_a_pass_runs_the_next_pass_at_once() -> None:
    scheduler = _Paced()
    loop = asyncio.create_task(scheduler.run())
    try:
        for _ in range(100):
            if len(scheduler.passes) >= 2:
                break
            await asyncio.sleep(0.02)
    finally:
        loop.cancel()
    assert len(scheduler.passes) >= 2, "the wake-up during the pass was lost"
    assert scheduler.passes[1] - scheduler.passes[0] < 5  # not the 30 s interval
    assert scheduler.observed[:2] == [True, False]  # the gauges once per interval


async def test_without_a_wake_the_scheduler_waits_its_interval() -> None:
    scheduler = _Paced()
    scheduler.run_once = _one_quiet_pass(scheduler)  # type: ignore[method-assign]
    loop = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.5)
    loop.cancel()
    assert len(scheduler.passes) == 1


async def test_a_completion_moves_purges_on_and_a_wake_runs_a_whole_pass() -> None:
    scheduler = _Paced()
    scheduler.run_once = _one_quiet_pass(scheduler)  # type: ignore[method-assign]
    loop = asyncio.create_task(scheduler.run())
    try:
        await _passes(scheduler, 1)
        scheduler.move_on()  # a participant's completion committed
        await _passes(scheduler, 2)
        scheduler.wake()  # a hold released: something may be due now
        await _passes(scheduler, 3)
    finally:
        loop.cancel()
    assert scheduler.whole == [True, False, True]
    assert scheduler.observed == [True, False, False]  # the gauges once per interval


async def _passes(scheduler: _Paced, count: int) -> None:
    for _ in range(100):
        if len(scheduler.passes) >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{count} passes expected, {len(scheduler.passes)} ran")


def _one_quiet_pass(scheduler: _Paced) -> Any:
    async def run_once(*, observe: bool = True, everything: bool = True) -> None:
        scheduler.passes.append(time.monotonic())
        scheduler.observed.append(observe)
        scheduler.whole.append(everything)

    return run_once


async def test_passes_an_interval_apart_set_the_gauges_each_time() -> None:
    scheduler = _Paced(every=0.1)
    scheduler.run_once = _one_quiet_pass(scheduler)  # type: ignore[method-assign]
    loop = asyncio.create_task(scheduler.run())
    await asyncio.sleep(0.45)
    loop.cancel()
    assert len(scheduler.observed) >= 3
    assert all(scheduler.observed)
