"""The bench's mail sink takes what the services send: Postfix's `smtp-sink` where
BENCH_SMTP_SINK names it (`make bench`), else aiosmtpd's `Sink`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.infra import MailSink, smtp_sink
from deploy.local.ports import free_port
from shared.mail import MailSender


def test_the_sink_is_the_one_given_and_aiosmtpd_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BENCH_SMTP_SINK", raising=False)
    assert smtp_sink() is None
    assert MailSink(tmp_path, port=1).version == "aiosmtpd (Python)"
    monkeypatch.setenv("BENCH_SMTP_SINK", str(tmp_path / "nowhere" / "smtp-sink"))
    assert smtp_sink() is None  # a path with nothing there is not a sink
    given = tmp_path / "postfix-3.7.11-0+deb12u1" / "smtp-sink"
    given.parent.mkdir()
    given.write_bytes(b"")
    monkeypatch.setenv("BENCH_SMTP_SINK", str(given))
    assert smtp_sink() == given
    assert MailSink(tmp_path, port=1).version == "smtp-sink (postfix 3.7.11-0+deb12u1)"


async def test_the_sink_takes_the_services_mail(tmp_path: Path) -> None:
    sink = MailSink(tmp_path, port=free_port())
    sink.start()
    try:
        sender = MailSender(host="127.0.0.1", port=sink.port, sender="support@example.org")
        async with sender.connection() as relay:
            # the bench's people have ASCII addresses (neither sink offers SMTPUTF8)
            await relay.send(sender.message(to="ada@example.org", subject="Hi", body="Thanks."))
            await relay.send(sender.message(to="bo@example.org", subject="Zoë", body="Tack så."))
    finally:
        sink.stop()
    assert not sink.alive()
