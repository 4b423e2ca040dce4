"""`python -m tests.support.crashing`: a service that SIGKILLs itself at a point of its relay.

The crash tests' way in (production code has no fault switch): the service runs unchanged, with
a hook in `shared.outbox.RELAY_HOOKS` that kills the process, as the OOM killer or a power cut
would, the first time a relay round reaches `CRASH_AT` (`before_publish`: committed, not yet
published; `after_publish`: published, not yet marked sent). `CRASH_SERVICE` names the service.
"""

from __future__ import annotations

import logging
import os
import runpy
import signal
from typing import get_args

from shared import outbox


def main() -> None:
    point, service = os.environ["CRASH_AT"], os.environ["CRASH_SERVICE"]
    if point not in get_args(outbox.RelayPoint):
        raise SystemExit(f"CRASH_AT must be one of {get_args(outbox.RelayPoint)}, not {point!r}")

    def kill_at(reached: outbox.RelayPoint) -> None:
        if reached == point:
            logging.getLogger(__name__).warning("crash test: killing the process at %s", point)
            os.kill(os.getpid(), signal.SIGKILL)

    outbox.RELAY_HOOKS.append(kill_at)
    runpy.run_module(f"services.{service}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
