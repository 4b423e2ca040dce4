"""How every command answers: a rich table for people, JSON for scripts, meaningful exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from enum import IntEnum
from typing import Any

from rich.console import Console
from rich.table import Table

PIPED_WIDTH = 240


class ExitCode(IntEnum):
    """What a command's exit status means (2 is the CLI's own usage error)."""

    OK = 0
    PROBLEM = 1  # unhealthy, plaintext found, erasure refused: the answer is "no"
    USAGE = 2
    INVALID_INPUT = 3  # an event or argument failed validation; nothing was sent
    UNREACHABLE = 4  # a service, Kafka or MongoDB did not answer, or answered with an error
    TIMED_OUT = 5  # --wait gave up before the operation completed
    NOT_FOUND = 6


class OpsError(Exception):
    """A failure to report on stderr with its exit code; the message never holds personal data."""

    def __init__(self, message: str, *, code: ExitCode, details: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = tuple(details)


class Output:
    """Writes results to stdout (a table, or JSON with --json) and problems to stderr."""

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        self.console = Console(soft_wrap=True)
        if not self.console.is_terminal:  # piped or captured: do not squeeze tables to 80 columns
            self.console = Console(soft_wrap=True, width=PIPED_WIDTH)
        self.errors = Console(stderr=True, soft_wrap=True)

    def result(self, data: Any, *, table: Table | None = None, summary: str = "") -> None:
        """The command's answer: `data` as JSON, or the table and a summary line."""
        if self.as_json:
            self.console.out(json.dumps(data, default=str, indent=2), highlight=False)
            return
        if table is not None:
            self.console.print(table)
        if summary:
            self.console.print(summary, highlight=False)

    def error(self, error: OpsError) -> None:
        if self.as_json:
            document = {"error": error.message, "exit_code": int(error.code)}
            if error.details:
                document["details"] = list(error.details)
            self.errors.out(json.dumps(document), highlight=False)
            return
        self.errors.print(f"[red]error:[/red] {error.message}", highlight=False)
        for detail in error.details:
            self.errors.print(f"  - {detail}", highlight=False, markup=False)

    @property
    def interactive(self) -> bool:
        """Progress bars only for people at a terminal, never in --json output."""
        return not self.as_json


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table with these column headings and rows (values shown as text)."""
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(column)
    for row in rows:
        shown.add_row(*("" if value is None else str(value) for value in row))
    return shown


def pairs(title: str, values: Mapping[str, Any]) -> Table:
    """A two-column table of names and values."""
    return table(title, ("", ""), values.items())
