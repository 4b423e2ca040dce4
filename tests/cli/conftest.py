"""The operator CLI against the four services as real processes on real HTTP ports, on the
session's Kafka and SecantusDB; one stack for every CLI test (it takes a while to start)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from deploy.local.services import SERVICES, ServiceProcess, service_environment
from deploy.local.stack import free_port
from tests.cli.harness import Cli, Stack
from tests.support.apps import skip_history_of
from tests.support.infrastructure import Infrastructure
from tests.support.system import STAFF_TOKEN


@contextlib.asynccontextmanager
async def four_services_at_once(
    infrastructure: Infrastructure, *, instance_prefix: str, log_dir: Path, **extra_env: str
) -> AsyncIterator[dict[str, ServiceProcess]]:
    """tests/support/system.py's four services, started side by side rather than in turn."""
    env = service_environment(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        INSTANCE_PREFIX=instance_prefix,
        STAFF_TOKEN=STAFF_TOKEN,
        OUTBOX_POLL_SECONDS="0.2",
        INTAKE_SMTP_PORT=str(free_port()),
        **extra_env,
    )
    for name in SERVICES:
        await skip_history_of(name, env)
    processes = {
        name: ServiceProcess(name, port=free_port(), env=env, log_dir=log_dir) for name in SERVICES
    }
    try:
        await asyncio.gather(*(asyncio.to_thread(p.start, timeout=180) for p in processes.values()))
        yield processes
    finally:
        for process in processes.values():
            process.stop()


@pytest.fixture(scope="package")
async def stack(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    async with four_services_at_once(
        infrastructure,
        instance_prefix=prefix,
        log_dir=tmp_path_factory.mktemp("cli-logs"),
        RETENTION_SCHEDULER_SECONDS="0.2",
        RETENTION_EXPORT_WAIT_SECONDS="60",
    ) as processes:
        env = {f"{name.upper()}_URL": process.url for name, process in processes.items()}
        env |= {
            "KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka_bootstrap,
            "MONGODB_URL": infrastructure.mongodb_url,
            "STAFF_TOKEN": STAFF_TOKEN,
            "INSTANCE_PREFIX": prefix,
        }
        yield Stack(env, infrastructure.kafka_bootstrap, infrastructure.mongodb_url, prefix)


@pytest.fixture
def cli(stack: Stack) -> Cli:
    return Cli(stack)
