"""Long-running loops (relays, dispatchers, schedulers, consumer retries) and their shutdown."""

from __future__ import annotations

import asyncio


def stop_if_cancelled() -> None:
    """Raise CancelledError if this task was asked to stop.

    A loop that retries every error must check this on each turn: a client library can turn the
    cancellation it was interrupted with into an ordinary error, which the loop would then
    retry forever, past its service's shutdown (seen as intake's acknowledgement dispatcher
    outliving its test by 10 s and then failing on the closed store client)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
