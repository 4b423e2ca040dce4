"""Progress bars for long operations, on stderr so stdout stays the command's answer."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ops.output import Output


def bar(out: Output) -> Progress:
    """A progress bar, hidden in --json mode."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        disable=not out.interactive,
        transient=False,
    )
