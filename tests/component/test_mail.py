"""Outbound mail reaches a real SMTP server; a relay that is down is reported, not crashed on."""

from __future__ import annotations

import pytest

from deploy.local.stack import free_port
from shared.mail import MailRelayUnavailableError, MailSender
from tests.support.smtp import SmtpSink


async def test_a_message_reaches_the_relay(mail_sink: SmtpSink) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    await sender.send(sender.message(to="ada@example.org", subject="Hello", body="Hi Ada"))
    [received] = mail_sink.to("ada@example.org")
    assert received["Subject"] == "Hello"
    assert received.get_content().strip() == "Hi Ada"


async def test_a_relay_that_is_down_raises_a_retryable_error() -> None:
    sender = MailSender(host="127.0.0.1", port=free_port(), sender="support@example.org", timeout=2)
    with pytest.raises(MailRelayUnavailableError):
        await sender.send(sender.message(to="x@example.org", subject="s", body="b"))
