"""Figures for RELIABILITY.md: every fault, hostile-input and security test records what it tried.

Each call appends one JSON line to `$RELIABILITY_RESULTS` (default `.reliability/results.jsonl`);
`make reliability` turns the lines into the tables of RELIABILITY.md. `RELIABILITY_PROFILE`
is `short` (the default, inside `make test`) or `full` (`make reliability`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

Suite = Literal["faults", "bad_input", "security"]


def profile() -> Literal["short", "full"]:
    """How hard the suite pushes: `full` under `make reliability`, `short` inside `make test`."""
    return "full" if os.environ.get("RELIABILITY_PROFILE", "short") == "full" else "short"


def results_path() -> Path:
    """Where the figures of this run are appended."""
    return Path(os.environ.get("RELIABILITY_RESULTS", ".reliability/results.jsonl"))


def record(
    suite: Suite,
    row: str,
    *,
    tried: int,
    survived: int,
    violations: int,
    in_flight: int | None = None,
    detail: str = "",
) -> None:
    """Append one row: what was tried on a surface or fault, how much held, and violations found."""
    path = results_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = {
        "suite": suite,
        "row": row,
        "tried": tried,
        "survived": survived,
        "violations": violations,
        "in_flight": in_flight,
        "detail": detail,
        "profile": profile(),
    }
    with path.open("a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
