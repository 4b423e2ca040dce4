"""Real infrastructure on this machine: Apache Kafka (KRaft, from Maven Central jars) and
an SMTP relay here, SecantusDB (MongoDB wire protocol) in `deploy/local/store.py`, each a child
process keeping its data in a folder.

Used by `make run` (fixed ports, data in .data/, kept across restarts) and by the test
session (free ports, throw-away folders).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy.local.ports import port_open

REPO = Path(__file__).resolve().parents[2]
POM = REPO / "deploy" / "local" / "pom.xml"
JARS = REPO / ".cache" / "kafka" / "jars"

KAFKA_JVM_PERFORMANCE_OPTS = "-XX:+UseSerialGC -Djava.awt.headless=true"
"""The local broker's JVM flags (under the name Kafka's own start scripts read them from),
unless the environment sets `KAFKA_JVM_PERFORMANCE_OPTS`: a small heap's serial collector.
The JVM's optimising compiler stays on: without it (`-XX:TieredStopAtLevel=1`) the broker costs
less in its first minutes and more once warm, and `make bench` gained in one scenario and lost
in another (BENCHMARKS.md section 30)."""


class InfrastructureError(RuntimeError):
    """A local process would not start; the message says which and where its log is."""


def ensure_kafka_jars() -> Path:
    """Resolve Kafka's jars from Maven Central once; later calls reuse the cache."""
    if JARS.is_dir() and any(JARS.glob("kafka_2.13-*.jar")):
        return JARS
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfrastructureError("Maven (mvn) is needed once to fetch Kafka's jars")
    print("fetching Apache Kafka jars from Maven Central (once) ...", flush=True)
    staging = JARS.with_name("jars.partial")
    shutil.rmtree(staging, ignore_errors=True)
    subprocess.run(
        [
            mvn,
            "-q",
            "-B",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={staging}",
        ],
        check=True,
    )
    staging.replace(JARS)
    return JARS


@dataclass
class LocalProcess:
    """A child process with its log file; stopped with SIGTERM, then SIGKILL."""

    name: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    launch_command: list[str] = field(default_factory=list, repr=False)
    launch_env: dict[str, str] | None = field(default=None, repr=False)

    def launch(self, command: list[str], *, env: dict[str, str] | None = None) -> None:
        """Start `command` in its own process group (so a stop reaches its children too)."""
        self.launch_command, self.launch_env = command, env
        self.relaunch()

    def relaunch(self) -> None:
        """Start the last command again, without waiting for it (a supervisor's restart)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.launch_command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.launch_env,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def start(self, *, timeout: float = 60.0) -> None:
        raise NotImplementedError

    def wait_for(self, ready: Callable[[], bool], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise InfrastructureError(f"{self.name} exited; see {self.log_path}")
            if ready():
                return
            time.sleep(0.2)
        raise InfrastructureError(
            f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}"
        )

    def signal_group(self, signum: int) -> None:
        """Send `signum` to the process and every child it started."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            return

    def wait(self, timeout: float) -> bool:
        """Whether it has exited within `timeout` seconds."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, *, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        self.signal_group(signal.SIGTERM)
        if not self.wait(timeout):
            self.kill()

    def kill(self) -> None:
        """SIGKILL (of the whole group), as a crash would."""
        self.signal_group(signal.SIGKILL)
        self.wait(5)


def _kafka_properties(
    port: int,
    controller_port: int,
    log_dir: Path,
    partitions: int,
    proxied: tuple[int, int] | None = None,
) -> str:
    listeners = f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}"
    advertised = f"PLAINTEXT://127.0.0.1:{port}"
    protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    if proxied is not None:  # a second listener whose clients are told to come through a proxy
        listeners += f",PROXIED://127.0.0.1:{proxied[0]}"
        advertised += f",PROXIED://127.0.0.1:{proxied[1]}"
        protocols += ",PROXIED:PLAINTEXT"
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners={listeners}",
            f"advertised.listeners={advertised}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            f"listener.security.protocol.map={protocols}",
            f"log.dirs={log_dir}",
            f"num.partitions={partitions}",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=10",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "group.min.session.timeout.ms=1000",  # the test services notice a killed one sooner
            "auto.create.topics.enable=true",
            "",
        ]
    )


def kafka_jvm_options(environment: Mapping[str, str]) -> list[str]:
    """The local broker's JVM flags: `KAFKA_JVM_PERFORMANCE_OPTS` where set, else ours."""
    return (environment.get("KAFKA_JVM_PERFORMANCE_OPTS") or KAFKA_JVM_PERFORMANCE_OPTS).split()


class LocalKafka(LocalProcess):
    """A single-node KRaft broker+controller on loopback.

    `proxied` = (listen port, advertised port) adds a listener whose clients are told to
    connect to the advertised port, where a TCP fault proxy forwards to the listen port.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        controller_port: int,
        heap: str = "512m",
        proxied: tuple[int, int] | None = None,
    ):
        super().__init__(name="kafka", log_path=data_dir / "kafka.log")
        self.data_dir = data_dir
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.proxied = proxied

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 90.0) -> None:
        jars = ensure_kafka_jars()
        log_dir = self.data_dir / "log"
        properties = self.data_dir / "server.properties"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        properties.write_text(
            _kafka_properties(self.port, self.controller_port, log_dir, 6, self.proxied)
        )
        classpath = f"{jars}/*"
        java = shutil.which("java") or "java"
        if not (log_dir / "meta.properties").exists():
            cluster_id = uuid.uuid4().hex[:22]
            subprocess.run(
                [
                    java,
                    "-cp",
                    classpath,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(properties),
                    "-g",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        self.log_path.write_bytes(b"")
        self.launch(
            [
                java,
                f"-Xmx{self.heap}",
                f"-Xms{self.heap}",
                *kafka_jvm_options(os.environ),
                "-cp",
                classpath,
                "kafka.Kafka",
                str(properties),
            ]
        )
        self.wait_for(
            lambda: b"Kafka Server started" in self.log_path.read_bytes(), timeout=timeout
        )


class LocalMailbox(LocalProcess):
    """An SMTP relay for `make run` that keeps every outbound mail in a maildir folder."""

    def __init__(self, mailbox: Path, *, port: int):
        super().__init__(name="mail relay", log_path=mailbox.parent / "logs" / "mailbox.log")
        self.mailbox = mailbox
        self.port = port

    def start(self, *, timeout: float = 30.0) -> None:
        self.mailbox.parent.mkdir(parents=True, exist_ok=True)
        self.launch(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                f"127.0.0.1:{self.port}",
                "-c",
                "aiosmtpd.handlers.Mailbox",
                str(self.mailbox),
            ]
        )
        self.wait_for(lambda: port_open(self.port), timeout=timeout)
