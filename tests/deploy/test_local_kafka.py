"""The local broker's JVM flags (`make run`, the tests, the bench): a small heap's serial
collector, and `KAFKA_JVM_PERFORMANCE_OPTS` replacing them where set, as in Kafka's own start
scripts (the bench's comparisons of JVM flags set it: BENCHMARKS.md section 30)."""

from __future__ import annotations

import os
import shutil
import subprocess

import psutil
import pytest

from deploy.local.stack import kafka_jvm_options
from tests.support.infrastructure import Infrastructure


def test_the_local_broker_runs_the_serial_collector_unless_told_otherwise() -> None:
    ours = kafka_jvm_options({})
    assert "-XX:+UseSerialGC" in ours
    assert kafka_jvm_options({"KAFKA_JVM_PERFORMANCE_OPTS": ""}) == ours
    told = kafka_jvm_options({"KAFKA_JVM_PERFORMANCE_OPTS": "-XX:TieredStopAtLevel=1  -Xss1m"})
    assert told == ["-XX:TieredStopAtLevel=1", "-Xss1m"]


def test_the_sessions_broker_was_started_with_them_and_the_jvm_took_them(
    infrastructure: Infrastructure,
) -> None:
    if infrastructure.kafka is None or infrastructure.kafka.process is None:
        pytest.skip("this session's broker is not started by deploy/local (TEST_* variables)")
    pid = infrastructure.kafka.process.pid
    assert set(kafka_jvm_options(os.environ)) <= set(psutil.Process(pid).cmdline())
    if os.environ.get("KAFKA_JVM_PERFORMANCE_OPTS") or shutil.which("jcmd") is None:
        return
    # what the running JVM says it does, not only what it was asked
    flags = subprocess.run(
        ["jcmd", str(pid), "VM.flags"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert "-XX:+UseSerialGC" in flags
    assert "-XX:TieredStopAtLevel" not in flags  # the optimising compiler is on
