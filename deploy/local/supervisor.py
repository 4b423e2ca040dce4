"""`make run`'s supervisor: a service that dies is started again (with backoff, as compose's
`restart: unless-stopped` does) and the restart is said; the infrastructure dying ends the
stack. A stop reaches every process at once (SIGTERM, then SIGKILL after a grace period), and a
second Ctrl-C during it kills what is left at once: nothing is ever left running."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from deploy.local.stack import LocalProcess

BACKOFF_SECONDS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
STABLE_AFTER_SECONDS = 60.0
"""A service up this long after a restart has its backoff forgotten."""


@dataclass
class Restarts:
    """One service's restarts: how many in a row, and when the next may happen."""

    count: int = 0
    next_at: float = 0.0
    started_at: float = 0.0


@dataclass
class Supervisor:
    infrastructure: Sequence[LocalProcess]
    services: Sequence[LocalProcess]
    say: Callable[[str], None] = print
    grace_seconds: float = 10.0
    backoff: Sequence[float] = BACKOFF_SECONDS
    clock: Callable[[], float] = time.monotonic
    stopping: bool = False
    _restarts: dict[str, Restarts] = field(default_factory=dict)

    def request_stop(self) -> None:
        """The first Ctrl-C: the watch ends and `stop_all` follows."""
        self.stopping = True

    def check(self) -> str | None:
        """One look at every process: restart a dead service when its backoff allows; the name
        of dead infrastructure, which ends the stack."""
        now = self.clock()
        for process in self.infrastructure:
            if not process.alive():
                return process.name
        for process in self.services:
            restarts = self._restarts.setdefault(process.name, Restarts(started_at=now))
            if process.alive():
                if restarts.count and now - restarts.started_at >= STABLE_AFTER_SECONDS:
                    restarts.count = 0
                continue
            if restarts.next_at == 0.0:
                delay = self.backoff[min(restarts.count, len(self.backoff) - 1)]
                restarts.next_at = now + delay
                self.say(
                    f"{process.name} stopped (exit code {process.exit_code()}); "
                    f"restarting in {delay:.0f}s (restart {restarts.count + 1}); "
                    f"log: {process.log_path}"
                )
            elif now >= restarts.next_at:
                self.say(f"restarting {process.name} ...")
                process.relaunch()
                restarts.count += 1
                restarts.next_at = 0.0
                restarts.started_at = now
        return None

    def watch(self, *, every: float = 0.5) -> str | None:
        """Until a stop is asked for (None) or the infrastructure dies (its name)."""
        while not self.stopping:
            dead = self.check()
            if dead is not None:
                return dead
            time.sleep(every)
        return None

    def stop_all(self) -> None:
        """Services first, then the infrastructure; each group at once: SIGTERM, a grace period,
        SIGKILL for what is left. A second Ctrl-C or SIGTERM meanwhile kills everything now."""
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

        def kill_now(_signum: int, _frame: object) -> None:
            self.say("killing everything now ...")
            self.kill_all()

        for sig in previous:
            signal.signal(sig, kill_now)
        try:
            for group in (self.services, self.infrastructure):
                running = [p for p in group if p.alive()]
                if running:
                    self.say(f"stopping {', '.join(p.name for p in running)} ...")
                self._stop_together(running)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def kill_all(self) -> None:
        for process in [*self.services, *self.infrastructure]:
            process.signal_group(signal.SIGKILL)

    def _stop_together(self, processes: Sequence[LocalProcess]) -> None:
        for process in processes:
            process.signal_group(signal.SIGTERM)
        deadline = self.clock() + self.grace_seconds
        for process in processes:
            if not process.wait(max(0.0, deadline - self.clock())):
                self.say(f"{process.name} did not stop in {self.grace_seconds:.0f}s: killed")
                process.kill()
