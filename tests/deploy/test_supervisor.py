"""`make run`'s supervisor on real child processes: a dead service comes back after a growing
backoff, dead infrastructure ends the stack, a stop reaches every process and its children
within the grace period, and a second Ctrl-C kills what is left at once."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from deploy.local.stack import LocalProcess
from deploy.local.supervisor import Supervisor

SLEEPER = "import time\nwhile True: time.sleep(0.1)"
STUBBORN = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: time.sleep(0.1)"


class Child(LocalProcess):
    def __init__(self, name: str, tmp_path: Path, code: str = SLEEPER) -> None:
        super().__init__(name=name, log_path=tmp_path / f"{name}.log")
        self.code = code

    def start(self, *, timeout: float = 10.0) -> None:
        self.launch([sys.executable, "-c", self.code])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def said() -> list[str]:
    return []


def started(*processes: Child) -> None:
    for process in processes:
        process.start()


def test_a_dead_service_is_restarted_after_a_growing_backoff(
    tmp_path: Path, said: list[str]
) -> None:
    service = Child("intake", tmp_path)
    started(service)
    clock = FakeClock()
    supervisor = Supervisor(infrastructure=[], services=[service], say=said.append, clock=clock)
    try:
        for attempt, delay in enumerate((1.0, 2.0, 4.0), start=1):
            service.kill()
            assert supervisor.check() is None
            assert f"restarting in {delay:.0f}s (restart {attempt})" in said[-1]
            clock.now += delay - 0.01
            supervisor.check()
            assert not service.alive()  # not before its backoff
            clock.now += 0.02
            supervisor.check()
            assert service.alive() and said[-1] == "restarting intake ..."
    finally:
        supervisor.stop_all()


def test_dead_infrastructure_ends_the_stack(tmp_path: Path, said: list[str]) -> None:
    kafka, service = Child("kafka", tmp_path), Child("access", tmp_path)
    started(kafka, service)
    supervisor = Supervisor(infrastructure=[kafka], services=[service], say=said.append)
    try:
        kafka.kill()
        assert supervisor.watch(every=0.05) == "kafka"
    finally:
        supervisor.stop_all()
    assert not service.alive()


def test_a_stop_reaches_every_process_and_its_children_within_the_grace(
    tmp_path: Path, said: list[str]
) -> None:
    forks = (
        "import subprocess, time\nsubprocess.Popen(['sleep', '300'])\nwhile True: time.sleep(0.1)"
    )
    parent, stubborn = Child("retention", tmp_path, forks), Child("surveys", tmp_path, STUBBORN)
    kafka = Child("kafka", tmp_path)
    started(parent, stubborn, kafka)
    time.sleep(0.5)
    children = psutil.Process(parent.process.pid).children() if parent.process else []
    assert children, "the service started no child"
    supervisor = Supervisor(
        infrastructure=[kafka], services=[parent, stubborn], say=said.append, grace_seconds=1.0
    )
    began = time.monotonic()
    supervisor.stop_all()
    assert time.monotonic() - began < 4.0
    assert not any(p.alive() for p in (parent, stubborn, kafka))
    assert not any(child.is_running() and child.status() != "zombie" for child in children)
    assert "surveys did not stop in 1s: killed" in said


def test_a_second_ctrl_c_during_the_stop_kills_everything_at_once(
    tmp_path: Path, said: list[str]
) -> None:
    stubborn, kafka = Child("access", tmp_path, STUBBORN), Child("kafka", tmp_path, STUBBORN)
    started(stubborn, kafka)
    time.sleep(0.3)
    supervisor = Supervisor(
        infrastructure=[kafka], services=[stubborn], say=said.append, grace_seconds=60.0
    )
    previous = signal.getsignal(signal.SIGINT)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    began = time.monotonic()
    supervisor.stop_all()
    assert time.monotonic() - began < 5.0
    assert "killing everything now ..." in said
    assert not stubborn.alive() and not kafka.alive()
    assert signal.getsignal(signal.SIGINT) == previous
