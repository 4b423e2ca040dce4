"""Waiting for a deletion certificate instead of asking for it again and again
(`GET /privacy/certificates/{id}?wait=…`): the purge scheduler announces each certificate it
records, and the callers waiting on this replica for that one look again at once. A
certificate another replica recorded has no announcement here; waiters also look again every
`recheck` seconds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TypeVar

Found = TypeVar("Found")


class CertificateAnnouncements:
    """`announce(erasure_id)` once its certificate is recorded; `wait_for(erasure_id, look,
    within)` until `look` finds what the caller waits for, or `within` seconds have passed (then
    None)."""

    def __init__(self, *, recheck: float = 0.5) -> None:
        self._recheck = recheck
        self._recorded: dict[str, asyncio.Event] = {}
        self._waiters: Counter[str] = Counter()

    def announce(self, erasure_id: str) -> None:
        recorded = self._recorded.pop(erasure_id, None)
        if recorded is not None:
            recorded.set()

    async def wait_for(
        self,
        erasure_id: str,
        look: Callable[[], Awaitable[Found | None]],
        *,
        within: float,
        before_waiting: Callable[[], Awaitable[object]] | None = None,
    ) -> Found | None:
        """`before_waiting` runs once, when the first look found nothing (a check that the
        caller may wait for it, say): the first look is the caller's only one before it."""
        deadline = time.monotonic() + within
        self._waiters[erasure_id] += 1
        try:
            while True:
                # Taken before looking, so an announcement made during the look is not missed.
                recorded = self._recorded.setdefault(erasure_id, asyncio.Event())
                found = await look()
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                if before_waiting is not None:
                    await before_waiting()
                    before_waiting = None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(left, self._recheck)):
                        await recorded.wait()
        finally:
            self._waiters[erasure_id] -= 1
            if not self._waiters[erasure_id]:  # the last one waiting for it: nothing kept
                del self._waiters[erasure_id]
                self._recorded.pop(erasure_id, None)
