"""Two replicas of a service run two mail dispatchers over one store: each queued mail goes out
once, not once per replica (intake's acknowledgements, access's set-password mail)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from services.access.account_store import MongoMailbox
from services.access.mailer import MailDispatcher
from services.intake.acknowledgements import AcknowledgementDispatcher
from services.intake.repository import ACKNOWLEDGEMENTS
from shared.mail import MailSender
from shared.mongo import TransactionRunner
from tests.support.mail_queue import (
    acknowledging,
    mailing,
    queue_account_mail,
    queue_acknowledgements,
)
from tests.support.smtp import SmtpSink, smtp_sink

MAILS = 20


@pytest.fixture
def runner(scratch_runner: TransactionRunner) -> TransactionRunner:
    return scratch_runner


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as started:
        yield started


def sender(sink: SmtpSink) -> MailSender:
    return MailSender(host="127.0.0.1", port=sink.port, sender="support@support.example")


async def test_two_intake_replicas_send_each_acknowledgement_once(
    runner: TransactionRunner, sink: SmtpSink
) -> None:
    await queue_acknowledgements(runner, MAILS)

    def dispatcher() -> AcknowledgementDispatcher:
        return acknowledging(runner, sender(sink))

    sent = await asyncio.gather(dispatcher().send_pending(), dispatcher().send_pending())
    assert sum(sent) == MAILS
    ids = sorted(str(m["Message-ID"]) for m in sink.messages)
    assert ids == sorted(f"<ack-{n}@support.example>" for n in range(MAILS))
    left = await runner.database[ACKNOWLEDGEMENTS].count_documents({"sent_at": None})
    assert left == 0


async def test_two_access_replicas_send_each_mail_once(
    runner: TransactionRunner, sink: SmtpSink
) -> None:
    mailbox = MongoMailbox(runner.database)
    now = datetime.now(UTC)
    await queue_account_mail(mailbox, MAILS, at=now)

    def dispatcher() -> MailDispatcher:
        return mailing(mailbox, sender(sink))

    sent = await asyncio.gather(dispatcher().send_due(now), dispatcher().send_due(now))
    assert sum(sent) == MAILS
    assert sorted(str(m["To"]) for m in sink.messages) == sorted(
        f"person{n}@example.org" for n in range(MAILS)
    )
    assert await mailbox.due(datetime.now(UTC)) == []
