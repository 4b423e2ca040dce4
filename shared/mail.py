"""Outbound mail through any SMTP relay (aiosmtplib). Messages carry personal data: never log them."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from shared.settings import ServiceSettings


class MailRelayUnavailableError(ConnectionError):
    """The SMTP relay could not take the message now; try again later."""


class MailSender:
    """Sends one message per call through the configured relay."""

    def __init__(self, *, host: str, port: int, sender: str, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self._timeout = timeout

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
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                timeout=self._timeout,
                start_tls=False,
                use_tls=False,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise MailRelayUnavailableError(type(error).__name__) from None
