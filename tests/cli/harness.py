"""Running `support-ops` in-process against the test stack, and polling for results."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from typer.testing import CliRunner, Result

from ops.cli import app

T = TypeVar("T")


@dataclass(frozen=True)
class Stack:
    """Where the CLI finds the running system: its environment."""

    env: dict[str, str]
    kafka_bootstrap: str
    mongodb_url: str
    instance_prefix: str


@dataclass(frozen=True)
class Cli:
    """Runs `support-ops` in-process (typer's runner) with the stack's environment."""

    stack: Stack

    def __call__(self, *args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=self.stack.env, input=stdin)

    def json(self, *args: str, expect: int = 0, stdin: str | None = None) -> Any:
        """Run with --json appended; check the exit code and parse stdout."""
        result = self(*args, "--json", stdin=stdin)
        assert result.exit_code == expect, (result.exit_code, result.stdout, result.stderr)
        return json.loads(result.stdout)


def until(probe: Callable[[], T | None], *, timeout: float = 60.0) -> T:
    """Poll until the probe returns something truthy."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.3)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
