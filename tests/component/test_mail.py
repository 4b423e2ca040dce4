"""Outbound mail reaches a real SMTP server; a round of mail shares one connection; a relay that
is down is reported, not crashed on, and a dropped connection is opened again for the next mail."""

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


async def test_a_round_of_mail_goes_over_one_connection(mail_sink: SmtpSink) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    async with sender.connection() as relay:
        for name in ("ada", "bo", "cy"):
            await relay.send(sender.message(to=f"{name}@example.org", subject="Hi", body="Hi"))
    assert len(mail_sink.messages) == 3
    assert mail_sink.connections == 1
    await sender.send(sender.message(to="di@example.org", subject="Hi", body="Hi"))
    assert mail_sink.connections == 2  # a message sent alone has a connection of its own


async def test_a_dropped_connection_fails_one_mail_and_the_next_reconnects(
    mail_sink: SmtpSink,
) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    async with sender.connection() as relay:
        await relay.send(sender.message(to="ada@example.org", subject="Hi", body="Hi"))
        mail_sink.stop()
        with pytest.raises(MailRelayUnavailableError):
            await relay.send(sender.message(to="bo@example.org", subject="Hi", body="Hi"))
        mail_sink.start()
        await relay.send(sender.message(to="cy@example.org", subject="Hi", body="Hi"))
    assert [str(m["To"]) for m in mail_sink.messages] == ["ada@example.org", "cy@example.org"]
    assert mail_sink.connections == 2
