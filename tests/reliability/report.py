"""RELIABILITY.md from the JSON lines every reliability test recorded (tests/support/reliability.py).

`python -m tests.reliability.report --results .reliability/results.jsonl --markdown RELIABILITY.md
--json RELIABILITY.jsonl`: tables of faults injected and survived with the requests in flight,
the invariants checked, the load held, inputs tried per surface, security checks, and the
violations found (must be 0), headed by the date, the machine and the profile.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """One row of a table: every JSON line with the same suite, row name and profile, added
    up (a short and a full run of the same fault are two rows, never one sum)."""

    suite: str
    row: str
    profile: str = ""
    tried: int = 0
    survived: int = 0
    violations: int = 0
    in_flight: int | None = None
    times: int = 0
    details: tuple[str, ...] = ()

    def add(self, line: dict[str, Any]) -> None:
        self.tried += int(line["tried"])
        self.survived += int(line["survived"])
        self.violations += int(line["violations"])
        if line.get("in_flight") is not None:
            self.in_flight = (self.in_flight or 0) + int(line["in_flight"])
        self.times += 1
        detail = str(line.get("detail") or "")
        if detail and detail not in self.details:
            self.details = (*self.details, detail)

    @property
    def detail(self) -> str:
        text = "; ".join(self.details)
        return (text[:237] + "...") if len(text) > 240 else text


def read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def rows(lines: Iterable[dict[str, Any]]) -> list[Row]:
    merged: dict[tuple[str, str, str], Row] = {}
    for line in lines:
        key = (line["suite"], line["row"], str(line.get("profile", "")))
        merged.setdefault(key, Row(suite=key[0], row=key[1], profile=key[2])).add(line)
    return list(merged.values())


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], body: list[list[object]]) -> list[str]:
    if not body:
        return ["_No rows recorded in this run._", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in body]
    return [*lines, ""]


def machine() -> str:
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores, {memory} memory, "
        f"Python {platform.python_version()}"
    )


def render(lines: list[dict[str, Any]], *, generated: datetime) -> str:
    table = rows(lines)
    if len({r.profile for r in table}) > 1:  # say which profile each row comes from
        for r in table:
            r.row = f"{r.row} ({r.profile or 'no profile'} profile)"
    # a scale-out run names its rows "2 replicas of each service: invariant: ...": an invariant
    # or a load row wherever the word stands
    invariants = [r for r in table if r.suite == "faults" and "invariant: " in r.row]
    load = [r for r in table if r.suite == "faults" and "load: " in r.row]
    faults = [r for r in table if r.suite == "faults" and r not in (*invariants, *load)]
    bad_input = [r for r in table if r.suite == "bad_input"]
    security = [r for r in table if r.suite == "security"]
    profiles = sorted({str(line.get("profile", "?")) for line in lines}) or ["none"]
    violations = sum(r.violations for r in table)
    out = [
        "# RELIABILITY",
        "",
        "Produced by `make reliability` (the fault, bad-input and security suites, then",
        "`python -m tests.reliability.report`); `make test` runs the same tests in the short",
        "profile. The raw figures are in RELIABILITY.jsonl.",
        "",
        f"- Date: {generated:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Profile: {', '.join(profiles)}",
        f"- **Violations found: {violations}** (must be 0)",
        "",
        "## Faults injected and survived",
        "",
        "Each fault was injected under a steady mixed load against the four services as real",
        "processes on real Kafka and SecantusDB; survived = every service ready again and no",
        "violation among the requests that overlapped the fault. Requests in flight = load items",
        "(web, mail, phone, CRM, resolution) whose request overlapped the fault, from its",
        "injection until every service answered ready again.",
        "",
        *_table(
            ["Fault", "Injected", "Survived", "Requests in flight", "Violations", "Detail"],
            [
                [r.row, r.times, r.survived, r.in_flight or 0, r.violations, r.detail]
                for r in faults
            ],
        ),
        "## Invariants checked from the data after the faults",
        "",
        *_table(
            ["Promise", "Checked", "Held", "Violations", "Detail"],
            [
                [r.row.replace("invariant: ", ""), r.tried, r.survived, r.violations, r.detail]
                for r in invariants
            ],
        ),
        "## Load held during the faults",
        "",
        *_table(
            ["Channel", "Tried", "Acknowledged", "Detail"],
            [[r.row.replace("load: ", ""), r.tried, r.survived, r.detail] for r in load],
        ),
        "## Bad input: inputs tried per surface",
        "",
        *_table(
            ["Surface", "Inputs tried", "Handled", "Violations", "Detail"],
            [[r.row, r.tried, r.survived, r.violations, r.detail] for r in bad_input],
        ),
        "## Security checks",
        "",
        *_table(
            ["Check", "Tried", "Passed", "Violations", "Detail"],
            [[r.row, r.tried, r.survived, r.violations, r.detail] for r in security],
        ),
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--results",
        type=Path,
        action="append",
        help="a JSON lines file of figures (again for more; default .reliability/results.jsonl)",
    )
    parser.add_argument("--markdown", type=Path, default=Path("RELIABILITY.md"))
    parser.add_argument("--json", type=Path, default=Path("RELIABILITY.jsonl"))
    arguments = parser.parse_args(argv)
    sources: list[Path] = arguments.results or [Path(".reliability/results.jsonl")]
    lines = [line for source in sources for line in read(source)]
    arguments.markdown.write_text(render(lines, generated=datetime.now(UTC)))
    if not any(source.resolve() == arguments.json.resolve() for source in sources):
        arguments.json.write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(
        f"{arguments.markdown}: {len(lines)} figures, {sum(int(x['violations']) for x in lines)} violations"
    )


if __name__ == "__main__":
    main()
