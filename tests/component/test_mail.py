"""Outbound mail reaches a real SMTP server; a round of mail shares one connection; a relay that
is down is reported, not crashed on, and a dropped connection is opened again for the next mail."""

from __future__ import annotations

import pytest

from deploy.local.ports import free_port
from shared.mail import MailRefusedError, MailRelayUnavailableError, MailSender
from tests.support.smtp import SmtpSink


async def test_a_message_reaches_the_relay(mail_sink: SmtpSink) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    await sender.send(sender.message(to="ada@example.org", subject="Hello", body="Hi Ada"))
    [received] = mail_sink.to("ada@example.org")
    assert received["Subject"] == "Hello"
    assert received.get_content().strip() == "Hi Ada"


async def test_a_subject_typed_with_line_breaks_stays_one_header_and_adds_no_recipient(
    mail_sink: SmtpSink,
) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    subject = "Hello\r\nBcc: eve@example.org\nX-Injected: yes"
    await sender.send(sender.message(to="ada@example.org", subject=subject, body="Hi Ada"))
    [received] = mail_sink.messages
    assert received["Subject"] == "Hello Bcc: eve@example.org X-Injected: yes"
    assert received["Bcc"] is None and received["X-Injected"] is None
    assert mail_sink.handler.recipients == [["ada@example.org"]]


async def test_text_outside_ascii_and_long_lines_arrive_as_written(mail_sink: SmtpSink) -> None:
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    subject = "[SR-ÆØÅ] Spørsmål om kurset \u2013 timeplanen mangler"
    body = "Hei,\n\nkurssiden viser en feil \u2013 kan dere se på det?\n" + "x" * 1500 + "\n"
    message = sender.message(to="bo@example.org", subject=subject, body=body)
    message["Message-ID"] = "<ack.1@support.example.org>"
    await sender.send(message)
    await sender.send(sender.message(to="cy@example.org", subject="Plain", body="y" * 1200))
    [first, second] = mail_sink.messages
    assert first["Subject"] == subject
    assert first["Message-ID"] == "<ack.1@support.example.org>"
    assert first.get_content().replace("\r\n", "\n") == body
    assert second.get_content().strip() == "y" * 1200  # a line over 998 characters is encoded


async def test_a_recipient_the_relay_refuses_for_good_is_told_apart_and_the_next_mail_goes(
    mail_sink: SmtpSink,
) -> None:
    mail_sink.handler.refuse.add("gone@example.org")
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@example.org")
    async with sender.connection() as relay:
        with pytest.raises(MailRefusedError):
            await relay.send(sender.message(to="gone@example.org", subject="Hi", body="Hi"))
        await relay.send(sender.message(to="ada@example.org", subject="Hi", body="Hi"))
    assert mail_sink.handler.recipients == [["ada@example.org"]]
    assert mail_sink.connections == 1  # the refusal did not cost the connection


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
