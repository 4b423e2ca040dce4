"""`make run`: Kafka, SecantusDB, the four services and the portal's pages on this machine, until
Ctrl-C.

Ports come from the environment (KAFKA_PORT, MONGODB_PORT, INTAKE_HTTP_PORT, ...); data stays in
.data/ across restarts.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from deploy.local.services import (
    DEFAULT_PORTS,
    PORTAL_PORT,
    SERVICES,
    ServiceProcess,
    service_environment,
)
from deploy.local.stack import (
    REPO,
    InfrastructureError,
    LocalKafka,
    LocalMailbox,
    LocalProcess,
)
from deploy.local.store import LocalMongo
from deploy.local.supervisor import Supervisor

DATA = REPO / ".data"


def _port(variable: str, default: int) -> int:
    return int(os.environ.get(variable, default))


def main() -> int:
    kafka = LocalKafka(
        DATA / "kafka",
        port=_port("KAFKA_PORT", 9092),
        controller_port=_port("KAFKA_CONTROLLER_PORT", 9093),
    )
    mongo = LocalMongo(DATA / "mongodb", port=_port("MONGODB_PORT", 27017))
    mail = LocalMailbox(DATA / "mailbox", port=_port("SMTP_RELAY_PORT", 1025))
    portal_port = _port("PORTAL_HTTP_PORT", PORTAL_PORT)
    env = service_environment(
        kafka_bootstrap=kafka.bootstrap_servers,
        mongodb_url=mongo.url,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(mail.port),
        PUBLIC_BASE_URL=f"http://127.0.0.1:{portal_port}",  # the mails' links: the pages
        SURVEYS_PUBLIC_BASE_URL=f"http://127.0.0.1:{_port('SURVEYS_HTTP_PORT', 8004)}",
    )
    services = [
        ServiceProcess(
            name,
            port=_port(f"{name.upper()}_HTTP_PORT", DEFAULT_PORTS[name]),
            env=env,
            log_dir=DATA / "logs",
        )
        for name in SERVICES
    ]
    portal = ServiceProcess(
        "portal",
        port=portal_port,
        env={
            **env,
            **{
                f"PORTAL_{service.name.upper()}_URL": service.url
                for service in services
                if service.name in ("access", "intake", "retention")
            },
        },
        log_dir=DATA / "logs",
    )
    services.append(portal)
    infrastructure: list[LocalProcess] = [kafka, mongo, mail]
    supervisor = Supervisor(infrastructure=infrastructure, services=services, say=_say)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        supervisor.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)  # also when started in the background (SIG_IGN)
    try:
        for process in (*infrastructure, *services):
            if supervisor.stopping:
                return 0
            _say(f"starting {process.name} ...")
            process.start()
        _print_where(kafka, mongo, mail, services)
        dead = supervisor.watch()
        if dead is None:
            return 0
        _say(f"{dead} stopped unexpectedly; stopping everything (logs in {DATA / 'logs'})")
        return 1
    except InfrastructureError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop_all()


def _say(line: str) -> None:
    print(line, flush=True)


def _print_where(
    kafka: LocalKafka, mongo: LocalMongo, mail: LocalMailbox, services: list[ServiceProcess]
) -> None:
    lines = [
        "",
        "support-data platform is up (Ctrl-C stops everything):",
        f"  kafka      {kafka.bootstrap_servers}",
        f"  mongodb    {mongo.url}   (SecantusDB, data in {mongo.data_dir})",
        f"  mail relay 127.0.0.1:{mail.port}   (outbound mail lands in {mail.mailbox})",
    ]
    for service in services:
        if service.name == "portal":
            lines.append(f"  {service.name:<10} {service.url}  the pages people use (sign in here)")
        else:
            lines.append(f"  {service.name:<10} {service.url}  /healthz /readyz /metrics /docs")
    lines.append(f"  logs       {DATA / 'logs'}")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
