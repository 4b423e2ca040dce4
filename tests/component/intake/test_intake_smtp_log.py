"""No personal data in logs: intake's SMTP server does not log envelope addresses or commands
(aiosmtpd's own `mail.log` logger writes them at INFO; found by the fault suite's log scan)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.apps import eventually
from tests.support.intake import Intake, mail, unique_email


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("pymongo"):
            return  # the test's own queries (by address) when pymongo's debug log is on
        self.lines.append(f"{record.name} {record.getMessage()} {record.__dict__}")


@pytest.fixture
def kept() -> Iterator[Keep]:
    handler, root = Keep(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_a_mail_through_the_smtp_server_leaves_no_address_in_the_logs(
    intake: Intake, kept: Keep
) -> None:
    sender = unique_email("logscan")
    await intake.send_mail(mail(sender=sender, subject="Logs", body="Nothing of mine in logs."))

    async def stored() -> bool:
        return bool(await intake.find("contacts", {"email_normalised": sender}))

    await eventually(stored)
    assert [line for line in kept.lines if sender in line] == []
    assert kept.lines, "the handler saw the service's log records"
