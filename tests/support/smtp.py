"""A real SMTP sink (aiosmtpd) that keeps every message it receives, for tests."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from deploy.local.ports import free_port


class SinkHandler:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.peers: list[Any] = []
        """The client end of the connection each message came over, in order."""
        self.recipients: list[list[str]] = []
        """Each message's envelope recipients (RCPT TO), in order."""
        self.refuse: set[str] = set()
        """Recipients answered 550, as a relay that knows them to be undeliverable would."""

    async def handle_RCPT(
        self, _server: Any, _session: Any, envelope: Any, address: str, _options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.peers.append(session.peer)
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


class SmtpSink:
    """Started on a free port; `messages` holds what arrived; stop() and start() simulate outages."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = SinkHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def connections(self) -> int:
        """How many connections the messages came over."""
        return len(set(self.handler.peers))

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address.casefold() in str(m["To"]).casefold()]


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()
