"""intake's inbound SMTP server (aiosmtpd). A message is answered `250` only after its raw
event is durable on `intake.email` (broker ack, acks=all); oversized mail gets `552`."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiosmtpd.smtp import SMTP

from services.intake.metrics import IntakeMetrics
from services.intake.mime import minimal_mail
from services.intake.settings import IntakeSettings
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, seal
from shared.events.channels import EmailReceived, RawMail
from shared.events.sources import INTAKE_SMTP
from shared.logging import quiet_libraries
from shared.topics import dead_letter_topic

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100
Publish = Callable[[str, bytes, bytes], Awaitable[None]]


def mail_key_id(mail_id: str) -> str:
    """The key-store id sealing one raw mail (shredded with the person's data)."""
    return f"mail-{mail_id}"


class MailReceiver:
    """The aiosmtpd handler: seal the raw message (its headers cut to what intake reads,
    `minimal_mail`), publish it durably, then say 250."""

    def __init__(
        self,
        *,
        publish: Publish,
        keys: KeyStore,
        clock: Clock,
        metrics: IntakeMetrics,
        max_message_bytes: int,
    ) -> None:
        self._publish = publish
        self._keys = keys
        self._clock = clock
        self._metrics = metrics
        self._max = max_message_bytes

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content or b""
        if len(raw) > self._max:
            self._metrics.rejected.labels(channel="email", reason="too_large").inc()
            return "552 5.3.4 Message size exceeds fixed maximum message size"
        mail_id = str(uuid4())
        received_at = self._clock.now()
        try:
            sealed = await seal(
                RawMail(
                    mail_from=str(envelope.mail_from or ""),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    content_base64=base64.b64encode(minimal_mail(raw)).decode(),
                ),
                data_subject_id=mail_key_id(mail_id),
                keys=self._keys,
            )
            event = INTAKE_SMTP.event(
                subject=mail_id,
                time=received_at,
                data=EmailReceived(
                    mail_id=mail_id, received_at=received_at, size=len(raw), content=sealed
                ),
            )
            await self._publish(topics.EMAIL_INTAKE, mail_id.encode(), event.to_bytes())
        except Exception as error:
            self._metrics.rejected.labels(channel="email", reason="unavailable").inc()
            log.warning("inbound mail not stored", extra={"error": type(error).__name__})
            return "451 4.3.0 Temporarily unable to store the message; try again later"
        return f"250 2.0.0 OK queued as {mail_id}"


class SmtpServer:
    """Runs the SMTP server in the service's event loop, with its own durable producer."""

    def __init__(
        self,
        *,
        settings: IntakeSettings,
        keys: KeyStore,
        clock: Clock,
        metrics: IntakeMetrics,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._clock = clock
        self._metrics = metrics
        self.port: int | None = None

    @property
    def max_event_bytes(self) -> int:
        """Raw mail travels base64 inside sealed (base64) JSON: about 16/9 of its size."""
        return self._settings.max_message_bytes * 2 + 256 * 1024

    async def run(self) -> None:
        """Serve until cancelled; retry binding and connecting with backoff."""
        backoff = 0.2
        while True:
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._metrics.smtp_listening.set(0)
                log.warning("smtp server waiting", extra={"error": type(error).__name__})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._settings.retry_max_backoff_seconds)

    async def _serve(self) -> None:
        settings = self._settings
        quiet_libraries()  # aiosmtpd's own logger would write envelope addresses
        await self._configure_topics()
        producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            client_id=f"{settings.service_name}-smtp",
            acks="all",
            enable_idempotence=True,
            max_request_size=self.max_event_bytes,
            request_timeout_ms=15_000,
        )
        await producer.start()
        try:

            async def publish(topic: str, key: bytes, value: bytes) -> None:
                await producer.send_and_wait(
                    topic,
                    value,
                    key=key,
                    headers=[("content-type", b"application/cloudevents+json")],
                )

            receiver = MailReceiver(
                publish=publish,
                keys=self._keys,
                clock=self._clock,
                metrics=self._metrics,
                max_message_bytes=settings.max_message_bytes,
            )
            loop = asyncio.get_running_loop()
            server = await loop.create_server(
                lambda: SMTP(
                    receiver,
                    data_size_limit=settings.max_message_bytes,
                    enable_SMTPUTF8=True,
                    hostname=settings.smtp_hostname,
                    ident="intake",
                    loop=loop,
                ),
                host=settings.smtp_host,
                port=settings.smtp_port,
            )
            self.port = server.sockets[0].getsockname()[1]
            self._metrics.smtp_listening.set(1)
            log.info("smtp server listening", extra={"port": self.port})
            try:
                await asyncio.Future()
            finally:
                self._metrics.smtp_listening.set(0)
                server.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(server.wait_closed(), timeout=2)
        finally:  # bounded: a stop that waits on the broker must not hold up a shutdown
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(3):
                    await producer.stop()

    async def _configure_topics(self) -> None:
        """Allow big raw mails on intake.email; keep clear-text phone events only briefly."""
        settings = self._settings
        admin = AIOKafkaAdminClient(
            bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=10_000
        )
        await admin.start()
        try:
            size = {"max.message.bytes": str(self.max_event_bytes)}
            retention = {"retention.ms": str(settings.phone_topic_retention_hours * 3_600_000)}
            await admin.alter_configs(
                [
                    ConfigResource(ConfigResourceType.TOPIC, topics.EMAIL_INTAKE, size),
                    ConfigResource(
                        ConfigResourceType.TOPIC, dead_letter_topic(topics.EMAIL_INTAKE), size
                    ),
                    ConfigResource(ConfigResourceType.TOPIC, topics.PHONE_INTAKE, retention),
                ]
            )
        finally:
            await admin.close()
