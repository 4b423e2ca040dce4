"""Fixtures for intake against real Kafka, real storage, its real SMTP server and a real sink."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer

from deploy.local.stack import free_port
from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from tests.support.apps import eventually, running
from tests.support.infrastructure import Infrastructure
from tests.support.intake import Intake
from tests.support.smtp import SmtpSink


@pytest.fixture
async def intake(
    infrastructure: Infrastructure,
    infra_env: dict[str, str],
    mail_sink: SmtpSink,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Intake]:
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
        async with running(app) as http:

            async def listening() -> bool:
                return app.state.smtp.port is not None

            await eventually(listening, timeout=30)
            yield Intake(app, http, smtp_port, mail_sink, producer, infrastructure.kafka_bootstrap)
    finally:
        await producer.stop()
