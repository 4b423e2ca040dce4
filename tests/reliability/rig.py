"""The system under fault: its own Kafka and SecantusDB (they get stopped), Toxiproxy between
the services and both, a real SMTP sink as the mail relay, and the four services as processes."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local.ports import free_port
from deploy.local.services import SERVICES, ServiceProcess, service_environment
from deploy.local.stack import LocalKafka, LocalProcess
from deploy.local.store import LocalMongo
from tests.reliability.toxiproxy import Toxiproxy
from tests.support.infrastructure import OWN_BROKER_SESSION_TIMEOUT_MS
from tests.support.smtp import SmtpSink

STAFF_TOKEN = "reliability-staff-token"
STAFF = {"Authorization": f"Bearer {STAFF_TOKEN}"}
PREFIX = "rel_"
KAFKA_PROXY, MONGO_PROXY = "kafka", "mongodb"


@dataclass
class Rig:
    """Everything a fault run touches; the test's own clients use the direct (unproxied) ports.
    `services` holds every replica ("intake", "intake-2", ...); `url` takes turns among them."""

    kafka: LocalKafka
    mongo: LocalMongo
    toxiproxy: Toxiproxy
    sink: SmtpSink
    services: dict[str, ServiceProcess]
    smtp_port: int
    log_dir: Path
    replicas: int = 1
    _turn: Iterator[int] = field(default_factory=itertools.count)

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka.bootstrap_servers

    @property
    def mongodb_url(self) -> str:
        return self.mongo.url

    def url(self, service: str) -> str:
        """One replica's URL, each in turn, as a load balancer in front of them would."""
        replicas = [p for p in self.services.values() if p.service == service]
        return replicas[next(self._turn) % len(replicas)].url

    async def kill_and_restart(self, service: str) -> None:
        """SIGKILL a service, as a crash would, and start it again."""
        process = self.services[service]
        await asyncio.to_thread(process.kill)
        await asyncio.to_thread(process.start, timeout=120, wait_ready=False)

    async def restart_kafka(self) -> None:
        await asyncio.to_thread(self.kafka.stop)
        await asyncio.to_thread(self.kafka.start, timeout=120)

    async def stop_mongo(self) -> None:
        await asyncio.to_thread(self.mongo.stop)

    async def start_mongo(self) -> None:
        await asyncio.to_thread(self.mongo.start)

    async def not_ready(self) -> dict[str, str]:
        """Each service whose /readyz does not answer 200, with what it said instead."""
        problems: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=5) as http:
            for name, process in self.services.items():
                try:
                    answer = await http.get(process.url + "/readyz")
                    if answer.status_code != 200:
                        problems[name] = answer.text[:200]
                except httpx.HTTPError as error:
                    problems[name] = type(error).__name__
        return problems

    def service_logs(self) -> Iterator[Path]:
        for process in self.services.values():
            yield process.log_path


def _environment(rig_ports: dict[str, int]) -> dict[str, str]:
    return service_environment(
        kafka_bootstrap=f"127.0.0.1:{rig_ports['kafka_proxy']}",
        mongodb_url=f"mongodb://127.0.0.1:{rig_ports['mongo_proxy']}/?directConnection=true",
        INSTANCE_PREFIX=PREFIX,
        STAFF_TOKEN=STAFF_TOKEN,
        LOG_LEVEL="INFO",
        OUTBOX_POLL_SECONDS="0.2",
        KAFKA_SESSION_TIMEOUT_MS=OWN_BROKER_SESSION_TIMEOUT_MS,
        RETRY_MAX_BACKOFF_SECONDS="1",
        SMTP_RELAY_PORT=str(rig_ports["sink"]),
        INTAKE_SMTP_PORT=str(rig_ports["smtp"]),
        INTAKE_WEB_RATE_PER_MINUTE="100000",
        INTAKE_WEB_RATE_BURST="1000",
        INTAKE_ACKNOWLEDGEMENT_POLL_SECONDS="0.5",
        SURVEYS_SAMPLE_RATE="1.0",
        SURVEYS_DELAY="0",
        SURVEYS_DISPATCH_POLL_SECONDS="0.5",
        RETENTION_SCHEDULER_SECONDS="0.5",
        # A participant whose completion left something (a CRM event for an organisation that
        # arrived at access after its erasure re-created its record) is asked again after this
        # long: 20 s, so that happens within the run's settling time (600 s in production).
        RETENTION_PARTICIPANT_LATE_SECONDS="20",
    )


@contextlib.asynccontextmanager
async def fault_rig(base: Path, *, replicas: int = 1) -> AsyncIterator[Rig]:
    """Start the whole rig in `base`, each service as `replicas` processes (consumer-group
    members, relays and schedulers side by side over one store); stop every process it
    started, whatever happens."""
    ports = {
        name: free_port()
        for name in ("kafka", "controller", "proxied", "kafka_proxy", "mongo", "mongo_proxy")
    }
    sink = SmtpSink()
    ports.update(sink=sink.port, smtp=free_port())
    kafka = LocalKafka(
        base / "kafka",
        port=ports["kafka"],
        controller_port=ports["controller"],
        proxied=(ports["proxied"], ports["kafka_proxy"]),
    )
    mongo = LocalMongo(base / "mongodb" / "data", port=ports["mongo"])
    toxiproxy = Toxiproxy(base / "logs", port=free_port())
    env = _environment(ports)
    services = {
        process.name: process
        for replica in range(1, replicas + 1)
        for process in (
            ServiceProcess(
                name,
                port=free_port(),
                # each intake replica listens for mail on a port of its own
                env=env if replica == 1 else {**env, "INTAKE_SMTP_PORT": str(free_port())},
                log_dir=base / "logs",
                replica=replica,
            )
            for name in SERVICES
        )
    }
    rig = Rig(kafka, mongo, toxiproxy, sink, services, ports["smtp"], base / "logs", replicas)
    started: list[LocalProcess] = []
    infrastructure: list[LocalProcess] = [mongo, kafka, toxiproxy]
    try:
        started.extend(infrastructure)  # side by side: none needs another to start
        await asyncio.gather(*(asyncio.to_thread(part.start) for part in infrastructure))
        toxiproxy.proxy(KAFKA_PROXY, listen=ports["kafka_proxy"], upstream=ports["proxied"])
        toxiproxy.proxy(MONGO_PROXY, listen=ports["mongo_proxy"], upstream=ports["mongo"])
        sink.start()
        started.extend(services.values())
        await asyncio.gather(
            *(asyncio.to_thread(process.start, timeout=180) for process in services.values())
        )
        yield rig
    finally:
        for part in reversed(started):
            await asyncio.to_thread(part.stop)
        sink.stop()
