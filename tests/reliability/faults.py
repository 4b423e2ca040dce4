"""The faults, one after another under the load: each is injected, held, undone, and the
system must be ready again; the window it covered counts the requests in flight."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.reliability.load import Ledger
from tests.reliability.rig import KAFKA_PROXY, MONGO_PROXY, Rig


def note(text: str) -> None:
    """Progress of a long run, on stdout (seen with `pytest -s` and under `make reliability`)."""
    print(f"[faults {time.strftime('%H:%M:%S')}] {text}", flush=True)


@dataclass(frozen=True)
class Durations:
    """How long each held fault lasts and how much load runs between faults (seconds)."""

    mongo_outage: float
    cut: float
    slow: float
    between: float
    rounds: int
    every_fault: bool


# make test's profile: each held fault outlasts the services' longest retry backoff (1 s in the rig)
SHORT = Durations(mongo_outage=3, cut=2, slow=2, between=0.5, rounds=1, every_fault=False)
FULL = Durations(mongo_outage=20, cut=10, slow=10, between=5, rounds=1, every_fault=True)


@dataclass
class FaultOutcome:
    name: str
    started: float
    ended: float
    recovered: bool
    in_flight: int = 0


@dataclass(frozen=True)
class Fault:
    name: str
    inject: Callable[[], Awaitable[None]]


def faults(rig: Rig, durations: Durations) -> list[Fault]:
    """Every fault of the suite, in the order they are injected."""
    proxy = rig.toxiproxy

    def kill(service: str) -> Fault:
        return Fault(f"SIGKILL {service}, restarted", lambda: rig.kill_and_restart(service))

    async def mongo_outage() -> None:
        await rig.stop_mongo()
        await asyncio.sleep(durations.mongo_outage)
        await rig.start_mongo()

    def slow(name: str) -> Fault:
        async def inject() -> None:
            await asyncio.to_thread(proxy.add_latency, name, toxic="slow", milliseconds=300)
            await asyncio.sleep(durations.slow)
            await asyncio.to_thread(proxy.clear, name)

        return Fault(f"{name} connections slowed 300 ms each way, {durations.slow:.0f} s", inject)

    def cut(name: str) -> Fault:
        async def inject() -> None:
            await asyncio.to_thread(proxy.enable, name, enabled=False)
            await asyncio.sleep(durations.cut)
            await asyncio.to_thread(proxy.clear, name)

        return Fault(f"{name} connections cut, {durations.cut:.0f} s", inject)

    mongo_stopped = Fault(f"MongoDB server stopped {durations.mongo_outage:.0f} s", mongo_outage)
    if rig.replicas > 1:  # scale-out: one replica of each service killed in turn, the other on
        return [kill(name) for name, p in rig.services.items() if name != p.service]
    if not durations.every_fault:  # the short profile: one of each kind
        return [kill("intake"), mongo_stopped, slow(KAFKA_PROXY), cut(KAFKA_PROXY)]
    return [
        *(kill(service) for service in rig.services),
        Fault("Kafka broker restarted", rig.restart_kafka),
        mongo_stopped,
        slow(MONGO_PROXY),
        cut(MONGO_PROXY),
        slow(KAFKA_PROXY),
        cut(KAFKA_PROXY),
    ]


async def _ready_again(rig: Rig, deadline: float) -> bool:
    """Wait until every service is ready; say what was still wrong every 15 s."""
    said = time.monotonic()
    while (problems := await rig.not_ready()) and time.monotonic() < deadline:
        if time.monotonic() - said > 15:
            note(f"  still not ready: {problems}")
            said = time.monotonic()
        await asyncio.sleep(0.5)
    return not problems


async def inject_all(
    rig: Rig, ledger: Ledger, durations: Durations, *, recovery_timeout: float = 120
) -> list[FaultOutcome]:
    """Inject every fault in turn; after each, wait until every service is ready again."""
    outcomes: list[FaultOutcome] = []
    for _ in range(durations.rounds):
        for fault in faults(rig, durations):
            await asyncio.sleep(durations.between)
            started = time.monotonic()
            note(f"fault: {fault.name} (in flight so far {len(ledger.items)})")
            await fault.inject()
            recovered = await _ready_again(rig, started + recovery_timeout)
            ended = time.monotonic()
            outcome = FaultOutcome(fault.name, started, ended, recovered)
            outcome.in_flight = ledger.in_flight(started, ended)
            note(f"  recovered={recovered} after {ended - started:.1f} s")
            outcomes.append(outcome)
    await asyncio.sleep(durations.between)
    return outcomes
