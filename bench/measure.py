"""Figures of one scenario: percentiles, rates and the result row written to the report."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """The nearest-rank percentile (fraction in 0..1) of the samples; 0.0 when there are none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99 and max in milliseconds, with the sample count."""
    return {
        "count": float(len(seconds)),
        "p50_ms": round(percentile(seconds, 0.50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 0.95) * 1000, 2),
        "p99_ms": round(percentile(seconds, 0.99) * 1000, 2),
        "max_ms": round(max(seconds, default=0.0) * 1000, 2),
    }


@dataclass
class Figure:
    """One line of the table: what was measured, ours against the baseline."""

    scenario: str
    metric: str
    ours: float
    baseline: float | None
    unit: str
    higher_is_better: bool
    detail: dict[str, Any] = field(default_factory=dict)

    target: str = ""

    @property
    def ratio(self) -> float | None:
        """ours / baseline (for rates higher is better, for times lower is better)."""
        if self.baseline is None or self.baseline == 0:
            return None
        return round(self.ours / self.baseline, 3)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio}


class Stopwatch:
    """Seconds since it was started."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started
