"""Dependencies audited with pip-audit: no known vulnerability left unexplained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.reliability import record

EXCEPTIONS = Path(__file__).with_name("pip_audit_exceptions.txt")


def explained_exceptions(path: Path = EXCEPTIONS) -> dict[str, str]:
    """Vulnerability id -> the reason it is accepted, from the checked-in exceptions file."""
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        vulnerability, _package, reason = (part.strip() for part in [*line.split("|"), "", ""][:3])
        assert reason, f"exception {vulnerability} carries no reason"
        found[vulnerability] = reason
    return found


def test_no_known_vulnerability_is_left_unexplained() -> None:
    accepted = explained_exceptions()
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--format", "json"]
    command += ["--progress-spinner", "off"]
    for vulnerability in accepted:
        command += ["--ignore-vuln", vulnerability]
    audit = subprocess.run(command, capture_output=True, text=True, timeout=280, check=False)
    report = json.loads(audit.stdout)
    open_findings = [
        f"{dependency['name']} {dependency['version']}: {vulnerability['id']}"
        for dependency in report["dependencies"]
        for vulnerability in dependency.get("vulns", [])
        if vulnerability["id"] not in accepted
    ]
    record(
        "security",
        "dependency audit (pip-audit)",
        tried=len(report["dependencies"]),
        survived=len(report["dependencies"]) - len(open_findings),
        violations=len(open_findings),
        detail=f"{len(accepted)} explained exceptions in tests/security/pip_audit_exceptions.txt",
    )
    assert open_findings == []
    assert audit.returncode == 0, audit.stderr[-2000:]
    assert len(report["dependencies"]) > 50  # the whole pinned environment was audited


def test_an_exception_needs_a_reason(tmp_path: Path) -> None:
    listed = tmp_path / "exceptions.txt"
    listed.write_text("# comment\nPYSEC-1 | pkg | only reachable through a CLI we never run\n")
    assert explained_exceptions(listed) == {"PYSEC-1": "only reachable through a CLI we never run"}

    listed.write_text("PYSEC-2 | pkg |\n")
    with pytest.raises(AssertionError, match="PYSEC-2"):
        explained_exceptions(listed)
