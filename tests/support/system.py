"""The four services as real processes, on the session's infrastructure, seeing only new events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

from deploy.local.ports import free_port
from deploy.local.services import SERVICES, ServiceProcess, service_environment
from tests.support.apps import skip_history_of
from tests.support.infrastructure import Infrastructure

STAFF_TOKEN = "e2e-staff-token"


@contextlib.asynccontextmanager
async def four_services(
    infrastructure: Infrastructure,
    *,
    instance_prefix: str,
    log_dir: Path,
    ports: Mapping[str, int] | None = None,
    **extra_env: str,
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """`ports` fixes a service's port where a setting must name it beforehand (a public URL)."""
    env = service_environment(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        INSTANCE_PREFIX=instance_prefix,
        STAFF_TOKEN=STAFF_TOKEN,
        OUTBOX_POLL_SECONDS="0.2",
        KAFKA_SESSION_TIMEOUT_MS=infrastructure.session_timeout_ms,
        INTAKE_SMTP_PORT=str(free_port()),
        **extra_env,
    )
    await asyncio.gather(*(skip_history_of(name, env) for name in SERVICES))
    processes = {
        name: ServiceProcess(
            name, port=(ports or {}).get(name) or free_port(), env=env, log_dir=log_dir
        )
        for name in SERVICES
    }
    try:  # side by side: each start waits for its service to be ready
        await asyncio.gather(*(asyncio.to_thread(p.start, timeout=180) for p in processes.values()))
        yield processes
    finally:
        for process in processes.values():
            process.stop()
