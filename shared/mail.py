"""Outbound mail through any SMTP relay (aiosmtplib). Messages carry personal data: never log them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib

from shared.settings import ServiceSettings


class MailRelayUnavailableError(ConnectionError):
    """The SMTP relay could not take the message now; try again later."""


_RELAY_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)


class MailSender:
    """Sends messages through the configured relay: one per call (`send`), or several over one
    connection (`connection`, a dispatch round)."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> MailSender:
        return cls(
            host=settings.smtp_relay_host, port=settings.smtp_relay_port, sender=settings.mail_from
        )

    def message(self, *, to: str, subject: str, body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        return message

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the relay; MailRelayUnavailableError when it cannot take it."""
        async with self.connection() as relay:
            await relay.send(message)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[RelayConnection]:
        """One SMTP connection for the messages sent through it, opened at the first and closed
        (QUIT) at the end: a round of mail costs one connection, not one per message."""
        relay = RelayConnection(self)
        try:
            yield relay
        finally:
            await relay.close()


class RelayConnection:
    """An SMTP connection to the relay, opened when first needed. A failure closes it; the next
    message opens a new one."""

    def __init__(self, sender: MailSender) -> None:
        self._sender = sender
        self._smtp: aiosmtplib.SMTP | None = None

    async def send(self, message: EmailMessage) -> None:
        """Hand the message to the relay; MailRelayUnavailableError when it cannot take it."""
        try:
            if self._smtp is None:
                smtp = aiosmtplib.SMTP(
                    hostname=self._sender.host,
                    port=self._sender.port,
                    timeout=self._sender.timeout,
                    start_tls=False,
                    use_tls=False,
                )
                await smtp.connect()
                self._smtp = smtp
            await self._smtp.send_message(message)
        except _RELAY_ERRORS as error:
            await self.close()
            raise MailRelayUnavailableError(type(error).__name__) from None

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            await smtp.quit()
        except _RELAY_ERRORS:
            smtp.close()
