"""A pytest plugin: capture every log record of the session and scan it for personal data at the end.

Records of the test process (every service run in-process) go through a JSON handler on the root
logger at INFO with the library levels the services run with, extras and tracebacks included; services run as child processes write `<service>.log`
files under the session's temporary folder, which are read too. The personal data looked for is
what the tests use: every full name, phone number and email address in the test sources, and any
email address at a domain the tests give people. The session fails if any is found.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pythonjsonlogger.json import JsonFormatter

from shared.logging import quiet_libraries
from tests.support.reliability import record

TESTS = Path(__file__).resolve().parent.parent
SERVICE_LOGS = frozenset({"intake.log", "access.log", "retention.log", "surveys.log"})
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
PHONE = re.compile(r"^\+?\d[\d ()\-]{6,}\d$")
NAME = re.compile(r"^[A-ZÆØÅ][a-zæøåé]+(?: [A-ZÆØÅ][a-zæøåé.]*)+$")
NAME_KEYS = frozenset({"full_name", "caller_name", "display_name", "sender_name", "new_name"})
PHONE_KEYS = frozenset({"phone", "caller_phone", "phone_number", "new_phone"})
# Domains of the platform's own mailboxes: addresses there are roles, not people.
SERVICE_DOMAINS = frozenset({"support.example", "intake.test", "intake.support.example"})


@dataclass
class PersonalData:
    """What the tests use that is personal: literal values, and domains whose addresses are people."""

    values: set[str] = field(default_factory=set)
    person_domains: set[str] = field(default_factory=set)

    def found_in(self, text: str) -> list[str]:
        """Every personal value (or person's address) occurring in the text."""
        hits = [value for value in self.values if value in text]
        for match in EMAIL.finditer(text):
            if match.group(1).lower() in self.person_domains:
                hits.append(match.group(0))
        return hits


def _strings(tree: ast.AST) -> Iterator[tuple[str | None, str]]:
    """(key or keyword it is given for, value) of every string constant in a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Constant):
            if isinstance(node.value.value, str):
                yield node.arg, node.value.value
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(value, ast.Constant)
                    and isinstance(key.value, str)
                    and isinstance(value.value, str)
                ):
                    yield key.value, value.value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield None, node.value


def collect_personal_data(sources: Iterable[Path]) -> PersonalData:
    """Names, phones and emails the test sources use, plus the domains of people's addresses."""
    found = PersonalData()
    for source in sources:
        for key, value in _strings(ast.parse(source.read_text(encoding="utf-8"))):
            for match in EMAIL.finditer(value):
                domain = match.group(1).lower()
                if domain not in SERVICE_DOMAINS:
                    found.person_domains.add(domain)
            if key in NAME_KEYS and NAME.match(value):
                found.values.add(value)
            if (key in PHONE_KEYS or value.startswith("+")) and PHONE.match(value):
                found.values.add(value)
                found.values.add(re.sub(r"[ ()\-]", "", value))
    return found


class LogCapture:
    """Writes every record the session logs to a file, as JSON lines with all extras."""

    def __init__(self) -> None:
        handle, name = tempfile.mkstemp(prefix="session-logs-", suffix=".jsonl")
        os.close(handle)
        self.path = Path(name)
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        self.handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
        self.handler.setLevel(logging.DEBUG)

    def install(self) -> None:
        root = logging.getLogger()
        root.addHandler(self.handler)
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        quiet_libraries()  # the levels the services run with (configure_logging)

    def remove(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()


_capture: LogCapture | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _capture
    _capture = LogCapture()
    _capture.install()


def _service_logs(base: Path) -> Iterator[Path]:
    if base.exists():
        yield from (path for path in base.rglob("*.log") if path.name in SERVICE_LOGS)


def scan(*, captured: Path, base: Path | None) -> tuple[int, list[str], int]:
    """(lines scanned, personal values found, log files read)."""
    personal = collect_personal_data(sorted(TESTS.rglob("*.py")))
    files = [captured, *(_service_logs(base) if base else ())]
    lines, hits = 0, []
    for path in files:
        with path.open(encoding="utf-8", errors="replace") as log:
            for line in log:
                lines += 1
                hits.extend(personal.found_in(line))
    return lines, hits, len(files)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _capture
    if _capture is None:
        return
    capture, _capture = _capture, None
    capture.remove()
    factory = getattr(session.config, "_tmp_path_factory", None)
    base = factory.getbasetemp() if factory is not None else None
    lines, hits, files = scan(captured=capture.path, base=base)
    record(
        "security",
        "personal data in logs",
        tried=lines,
        survived=lines - len(hits),
        violations=len(hits),
        detail=f"{lines} log lines from {files} files scanned for the tests' names, phones, emails",
    )
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if hits:
        if reporter is not None:
            masked = sorted({hit[:2] + "…" for hit in hits})
            reporter.write_line(
                f"PERSONAL DATA IN LOGS: {len(hits)} occurrences ({', '.join(masked)}); "
                f"see {capture.path}",
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        capture.path.unlink(missing_ok=True)
        if reporter is not None:
            reporter.write_line(f"log scan: {lines} lines, no personal data")
