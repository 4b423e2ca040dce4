"""A per-client token bucket for the web channel (in memory, per process)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """`burst` submissions at once per client, refilled at `per_minute`; idle clients forgotten."""

    def __init__(
        self,
        *,
        per_minute: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
        max_clients: int = 100_000,
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._monotonic = monotonic
        self._max_clients = max_clients
        self._buckets: dict[str, _Bucket] = {}

    def allow(self, client: str) -> bool:
        """Take one token for this client; False when its bucket is empty."""
        now = self._monotonic()
        bucket = self._buckets.get(client)
        if bucket is None:
            if len(self._buckets) >= self._max_clients:
                self._forget_full(now)
            bucket = self._buckets[client] = _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self, client: str) -> int:
        """Seconds until this client has a token again."""
        bucket = self._buckets.get(client)
        missing = 1.0 - (bucket.tokens if bucket else self._burst)
        return max(1, math.ceil(missing / self._rate)) if missing > 0 else 0

    def _forget_full(self, now: float) -> None:
        """Drop clients whose bucket has refilled (they carry no state worth keeping)."""
        full = [
            client
            for client, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.updated) * self._rate >= self._burst
        ]
        for client in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[client]
