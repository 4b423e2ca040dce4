"""Fixtures for intake against real Kafka, real storage, its real SMTP server and a real sink."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager

import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.ports import free_port
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.support.apps import eventually, running, skip_history
from tests.support.infrastructure import Infrastructure
from tests.support.intake import Intake
from tests.support.smtp import SmtpSink

StartIntake = Callable[..., AbstractAsyncContextManager[Intake]]


@pytest.fixture
def start_intake(
    infrastructure: Infrastructure,
    infra_env: dict[str, str],
    mail_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> StartIntake:
    """`async with start_intake(backlog=[(topic, key, value), ...]) as intake`: intake started
    after the backlog was put on its topics, so that it reads the backlog many records at a time."""

    @contextlib.asynccontextmanager
    async def start(backlog: Sequence[tuple[str, bytes, bytes]] = ()) -> AsyncIterator[Intake]:
        smtp_port = free_port()
        for name, value in {
            **infra_env,
            "INTAKE_SMTP_PORT": str(smtp_port),
            "SMTP_RELAY_PORT": str(mail_sink.port),
            "INTAKE_ACKNOWLEDGEMENT_POLL_SECONDS": "0.2",
            "INTAKE_WEB_RATE_BURST": "5",
            "INTAKE_MAX_MESSAGE_BYTES": str(5 * 1024 * 1024),
        }.items():
            monkeypatch.setenv(name, value)
        app = create_app(IntakeSettings())
        producer = AIOKafkaProducer(
            bootstrap_servers=infrastructure.kafka_bootstrap, enable_idempotence=True, acks="all"
        )
        await producer.start()
        try:
            await skip_history(app.state.runtime)
            for topic, key, value in backlog:
                await producer.send_and_wait(topic, value, key=key)
            async with running(app, from_now=False) as http:

                async def listening() -> bool:
                    return app.state.smtp.port is not None

                await eventually(listening, timeout=30)
                yield Intake(
                    app, http, smtp_port, mail_sink, producer, infrastructure.kafka_bootstrap
                )
        finally:
            await producer.stop()

    return start


@pytest.fixture
async def intake(start_intake: StartIntake) -> AsyncIterator[Intake]:
    async with start_intake() as started:
        yield started
