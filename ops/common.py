"""What every command shares: settings from the root's flags, --json, errors to exit codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from ops.output import ExitCode, OpsError, Output
from ops.settings import OpsSettings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts, not tables.")]


def settings_of(ctx: typer.Context) -> OpsSettings:
    """The settings the root command built from the environment and its flags."""
    found = ctx.find_root().obj
    if not isinstance(found, OpsSettings):
        found = OpsSettings()
    return found


def run(as_json: bool, body: Callable[[Output], ExitCode | None]) -> None:
    """Run a command's body; an OpsError is reported on stderr and becomes the exit code."""
    out = Output(as_json=as_json)
    try:
        code = body(out) or ExitCode.OK
    except OpsError as error:
        out.error(error)
        code = error.code
    raise typer.Exit(int(code))
