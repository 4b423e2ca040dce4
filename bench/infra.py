"""The stack the bench runs on: Kafka and MongoDB from the environment or started locally, and
the services as real processes (as in production), each with its resident memory."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
from fastapi import FastAPI

from deploy.local.groups import commit_at_end
from deploy.local.ports import free_port, port_open
from deploy.local.services import ServiceProcess, service_environment
from deploy.local.stack import (
    JARS,
    LocalKafka,
    LocalProcess,
)
from deploy.local.store import SECANTUS_MDB_VERSION, LocalMongo
from services.catalogue import CATALOGUE
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime

STAFF_TOKEN = "bench-staff-token"  # noqa: S105 (the bench's own throw-away services)
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
MB = 1024 * 1024


@dataclass
class Stack:
    """Where Kafka and MongoDB answer, and what they are."""

    kafka_bootstrap: str
    mongodb_url: str
    origin: str
    log_dir: Path
    versions: dict[str, str] = field(default_factory=dict)
    smtp_port: int = 0
    pids: dict[str, int] = field(default_factory=dict)
    """The processes of the stack this bench started (the store, the broker, the mail sink)."""


def _versions() -> dict[str, str]:
    kafka = next((p.name for p in JARS.glob("kafka_2.13-*.jar")), "")
    found = {"python": platform.python_version()}
    if kafka:
        found["kafka"] = kafka.removeprefix("kafka_2.13-").removesuffix(".jar")
    for package in ("secantusdb", "pymongo", "aiokafka", "faststream", "fastapi", "uvicorn"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            found[package] = version(package)
    return found


@contextlib.contextmanager
def provide_stack(base: Path) -> Iterator[Stack]:
    """TEST_KAFKA_BOOTSTRAP_SERVERS/TEST_MONGODB_URL if set; else a local Kafka and SecantusDB
    on free ports in throw-away folders under `base`, stopped afterwards."""
    kafka_url = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
    mongo_url = os.environ.get("TEST_MONGODB_URL")
    with _mail_sink(base) as sink:
        smtp_port = sink.port
        if kafka_url and mongo_url:
            versions = {**_versions(), "mail sink": sink.version}
            yield Stack(
                kafka_url, mongo_url, "environment", base / "logs", versions, smtp_port, pids(sink)
            )
            return
        kafka = LocalKafka(base / "kafka", port=free_port(), controller_port=free_port())
        mongo = LocalMongo(base / "mongodb" / "data", port=free_port())
        try:
            mongo.start()
            kafka.start()
            versions = {**_versions(), "mail sink": sink.version}
            if mongo.command[0].endswith("secantusd-rs"):  # which SecantusDB server ran
                versions["secantusd-rs"] = SECANTUS_MDB_VERSION
                versions.pop("secantusdb", None)
            yield Stack(
                kafka.bootstrap_servers,
                mongo.url,
                "local",
                base / "logs",
                versions,
                smtp_port,
                pids(sink, store=mongo, kafka=kafka),
            )
        finally:
            kafka.stop()
            mongo.stop()


def pids(sink: LocalProcess, **others: LocalProcess) -> dict[str, int]:
    """The process ids of what runs under the services, by the name the report gives them."""
    named = {"mail sink": sink, **others}
    return {name: p.process.pid for name, p in named.items() if p.process is not None}


SINK = "aiosmtpd.handlers.Sink"


class MailSink(LocalProcess):
    """An SMTP server that accepts and discards every mail (acknowledgements, invitations):
    Postfix's `smtp-sink` where `make bench` could fetch it, else aiosmtpd's `Sink`."""

    def __init__(self, log_dir: Path, *, port: int) -> None:
        super().__init__(name="mail sink", log_path=log_dir / "mail-sink.log")
        self.port = port
        self.binary = smtp_sink()

    def start(self, *, timeout: float = 30.0) -> None:
        listen = f"127.0.0.1:{self.port}"
        if self.binary is None:
            self.launch([sys.executable, "-m", "aiosmtpd", "-n", "-l", listen, "-c", SINK])
        else:  # as root it must drop to a user of its own; 256 is its backlog of connections
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            env = {**os.environ, "LD_LIBRARY_PATH": str(self.binary.parent)}
            self.launch([str(self.binary), *user, listen, "256"], env=env)
        self.wait_for(lambda: port_open(self.port), timeout=timeout)

    @property
    def version(self) -> str:
        """Which sink runs: aiosmtpd, or smtp-sink with the Postfix version it came with."""
        if self.binary is None:
            return "aiosmtpd (Python)"
        return f"smtp-sink ({self.binary.parent.name.replace('-', ' ', 1)})"


def smtp_sink() -> Path | None:
    """Postfix's `smtp-sink` from BENCH_SMTP_SINK (`make bench` fetches it), if it is there:
    in C, it spends about a fifth of the CPU per mail that aiosmtpd's `Sink` does in Python."""
    given = os.environ.get("BENCH_SMTP_SINK", "")
    return Path(given) if given and Path(given).is_file() else None


@contextlib.contextmanager
def _mail_sink(base: Path) -> Iterator[MailSink]:
    sink = MailSink(base / "logs", port=free_port())
    try:
        sink.start()
        yield sink
    finally:
        sink.stop()


def environment(stack: Stack, *, prefix: str, **extra: str) -> dict[str, str]:
    """What the services get: the stack, an instance prefix of their own, a generous rate limit."""
    return service_environment(
        kafka_bootstrap=stack.kafka_bootstrap,
        mongodb_url=stack.mongodb_url,
        INSTANCE_PREFIX=prefix,
        STAFF_TOKEN=STAFF_TOKEN,
        OUTBOX_POLL_SECONDS="0.2",
        RETRY_MAX_BACKOFF_SECONDS="1",
        INTAKE_SMTP_PORT=str(free_port()),
        INTAKE_WEB_RATE_PER_MINUTE="10000000",
        INTAKE_WEB_RATE_BURST="1000000",
        LOG_LEVEL="WARNING",
        SMTP_RELAY_PORT=str(stack.smtp_port),
        **extra,
    )


def runtime_of(name: str, env: dict[str, str]) -> ServiceRuntime:
    """The runtime a process with this environment would build (its topics and groups)."""
    service = CATALOGUE[name]
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app: FastAPI = service.create_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    runtime: ServiceRuntime = app.state.runtime
    return runtime


async def skip_history(name: str, env: dict[str, str], *, keep: frozenset[str]) -> None:
    """The service's consumer groups start at the current end of their topics (but `keep`)."""
    runtime = runtime_of(name, env)
    await ensure_topics(
        runtime.settings.kafka_bootstrap_servers,
        runtime.topics,
        partitions=runtime.settings.kafka_partitions,
    )
    for group_id, topic in runtime.subscriptions:
        if topic in keep:
            continue
        await commit_at_end(
            runtime.settings.kafka_bootstrap_servers, group_id=group_id, topic=topic
        )


@contextlib.asynccontextmanager
async def services(
    stack: Stack,
    names: tuple[str, ...],
    *,
    env: dict[str, str],
    keep: frozenset[str] = frozenset(),
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """The named services as processes, consuming only what is published from now on (the
    topics in `keep` excepted: their groups start where they were committed before)."""
    for name in names:
        await skip_history(name, env, keep=keep)
    profiled = os.environ.get("BENCH_PROFILE", "")
    processes = {
        name: (ProfiledService if name == profiled else ServiceProcess)(
            name, port=free_port(), env=env, log_dir=stack.log_dir
        )
        for name in names
    }
    try:
        for process in processes.values():
            process.start(timeout=120)
        yield processes
    finally:
        for process in processes.values():
            process.stop()


class ProfiledService(ServiceProcess):
    """A service run under pyinstrument (BENCH_PROFILE=<name>); the report goes next to the
    log as <name>.profile.txt when the service stops."""

    def launch(self, command: list[str], *, env: dict[str, str] | None = None) -> None:
        report = self.log_path.with_name(f"{self.name}.profile.txt")
        wrapped = [command[0], "-m", "pyinstrument", "-o", str(report), *command[1:]]
        super().launch(wrapped, env=env)


def resident_mb(process: ServiceProcess) -> float:
    """Resident memory of a service process, in MiB."""
    assert process.process is not None
    rss: int = psutil.Process(process.process.pid).memory_info().rss
    return round(rss / MB, 1)


def machine() -> dict[str, Any]:
    """Cores, memory and load of this machine."""
    return {
        "cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / (1024**3), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
    }


async def copy_indexes(source: Any, target: Any) -> list[str]:
    """Create `source`'s indexes (but `_id`) on the `target` collection; the fields under a
    unique one (a baseline writing copies of the same documents must vary them)."""
    unique: list[str] = []
    async for index in await source.list_indexes():
        if index["name"] == "_id_":
            continue
        options = {k: index[k] for k in ("unique", "sparse") if k in index}
        await target.create_index(list(index["key"].items()), **options)
        if index.get("unique"):
            unique.extend(index["key"])
    return unique
