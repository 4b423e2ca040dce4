"""The operator CLI against the four services as real processes on real HTTP ports, on the
session's Kafka and SecantusDB; one stack for every CLI test (it takes a while to start)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.cli.harness import Cli, Stack
from tests.support.infrastructure import Infrastructure
from tests.support.system import STAFF_TOKEN, four_services


@pytest.fixture(scope="package")
async def stack(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    async with four_services(
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
