"""What a unit of work costs the machine: the CPU time (user and system) of every process a
scenario runs on (the services, the store, the broker, the mail sink and the bench's own
clients) between two readings, less what each spends idle, per unit. On 2 shared cores this
sets how fast web submissions can be taken at all (BENCHMARKS.md, sections 18 and 22)."""

from __future__ import annotations

import os
from collections.abc import Mapping

import psutil

BENCH = "bench clients"
"""The bench's own process: the posting clients, the probes and the memory poller."""


def cpu_seconds(pids: Mapping[str, int]) -> dict[str, float]:
    """CPU seconds each named process (and the bench's own) has used so far; a process that
    has gone is left out."""
    used: dict[str, float] = {}
    for name, pid in {**pids, BENCH: os.getpid()}.items():
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        used[name] = times.user + times.system
    return used


def ms_per_unit(
    before: Mapping[str, float],
    after: Mapping[str, float],
    units: int,
    *,
    seconds: float,
    idle_per_second: Mapping[str, float],
) -> dict[str, float]:
    """Milliseconds of CPU per unit for each process read both times, after taking off what
    it spends idle over the same `seconds` (never below nothing), and for them all."""
    if units <= 0:
        return {}
    spent = {
        name: max(0.0, after[name] - used - idle_per_second.get(name, 0.0) * seconds)
        for name, used in before.items()
        if name in after
    }
    per_unit = {name: round(value * 1000 / units, 2) for name, value in spent.items()}
    per_unit["all"] = round(sum(spent.values()) * 1000 / units, 2)
    return per_unit


def idle_rate(
    before: Mapping[str, float], after: Mapping[str, float], seconds: float
) -> dict[str, float]:
    """CPU seconds per second each process spent between two readings with no load."""
    return {name: (after[name] - used) / seconds for name, used in before.items() if name in after}
