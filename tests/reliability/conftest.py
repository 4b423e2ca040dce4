"""One fault run per session of this folder: the rig, the load, every fault, then the checks."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.reliability.faults import FULL, SHORT, FaultOutcome, inject_all, note
from tests.reliability.invariants import Findings, check
from tests.reliability.load import Ledger, Load, Rates
from tests.reliability.rig import Rig, fault_rig
from tests.support.reliability import profile

SHORT_RATES = Rates(web=0.5, email=1.0, phone=1.0, crm=3.0, resolution=1.0)
FULL_RATES = Rates(web=0.25, email=0.5, phone=0.5, crm=2.0, resolution=0.5)
REPLICAS = [int(n) for n in os.environ.get("RELIABILITY_REPLICAS", "1").split()]
"""How many processes of each service: `1` in make test; `make reliability` and
`make compose-test` also run `2` (scale-out: one replica of each killed in turn)."""


@dataclass
class FaultRun:
    rig: Rig
    ledger: Ledger
    outcomes: list[FaultOutcome]
    findings: Findings
    settled_after: float

    def row(self, name: str) -> str:
        """A RELIABILITY.md row's name; the scale-out run's rows say so."""
        replicas = self.rig.replicas
        return name if replicas == 1 else f"{replicas} replicas of each service: {name}"

    @property
    def logs(self) -> list[Path]:
        return list(self.rig.service_logs())


async def settle(rig: Rig, ledger: Ledger, *, timeout: float) -> tuple[Findings, float]:
    """Check until no violation is left or the time is up; the last findings count."""
    started, seen = time.monotonic(), set[str]()
    while True:
        findings = await check(rig, ledger, seen=seen)
        waited = time.monotonic() - started
        by_promise = Counter(f"{v.promise}: {v.detail}" for v in findings.violations)
        note(f"checked after {waited:.0f} s: {dict(by_promise.most_common(8))}")
        if not findings.violations or waited > timeout:
            return findings, waited
        await asyncio.sleep(1)


@pytest.fixture(scope="module", params=REPLICAS, ids=lambda n: f"replicas={n}")
async def fault_run(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FaultRun]:
    full = profile() == "full"
    base = tmp_path_factory.mktemp("faults")
    async with fault_rig(base, replicas=request.param) as rig:
        load = Load(rig, rates=FULL_RATES if full else SHORT_RATES)
        await load.start()
        try:
            outcomes = await inject_all(rig, load.ledger, FULL if full else SHORT)
        finally:
            await load.stop()
        note(f"settling: {len(load.ledger.items)} items tried")
        findings, waited = await settle(rig, load.ledger, timeout=300 if full else 150)
        (rig.log_dir / "violations.txt").write_text(
            "\n".join(f"{v.promise}\t{v.tag}\t{v.detail}" for v in findings.violations)
        )
        yield FaultRun(rig, load.ledger, outcomes, findings, waited)
