"""Queued mail for the dispatcher tests: intake's acknowledgements and access's set-password
mail as the services queue them, and each service's dispatcher over a given relay."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry

from services.access.account_store import MongoMailbox
from services.access.mailer import MailDispatcher
from services.access.metrics import AccessMetrics
from services.intake.acknowledgements import AcknowledgementDispatcher
from services.intake.metrics import IntakeMetrics
from services.intake.repository import ACKNOWLEDGEMENTS
from shared.clock import SystemClock
from shared.mail import MailSender
from shared.mongo import TransactionRunner


async def queue_acknowledgements(runner: TransactionRunner, count: int) -> None:
    """`count` acknowledgements, `request-<n>` to `person<n>@example.org`, Message-ID
    `<ack-<n>@support.example>`."""
    now = datetime.now(UTC)
    await runner.database[ACKNOWLEDGEMENTS].insert_many(
        {
            "_id": f"request-{n}",
            "request_id": f"request-{n}",
            "to": f"person{n}@example.org",
            "reference": f"SR-{n:08d}",
            "subject": "Your request",
            "message_id": f"<ack-{n}@support.example>",
            "queued_at": now,
            "sent_at": None,
        }
        for n in range(count)
    )


def acknowledging(runner: TransactionRunner, sender: MailSender) -> AcknowledgementDispatcher:
    return AcknowledgementDispatcher(
        runner=runner,
        sender=sender,
        clock=SystemClock(),
        metrics=IntakeMetrics(CollectorRegistry()),
        base_url="http://portal.example",
        poll_seconds=1,
        max_backoff_seconds=1,
    )


async def queue_account_mail(mailbox: MongoMailbox, count: int, *, at: datetime) -> None:
    """`count` set-password mails, `mail-<n>` to `person<n>@example.org`."""
    for n in range(count):
        await mailbox.enqueue(
            mail_id=f"mail-{n}",
            account_id=f"account-{n}",
            to=f"person{n}@example.org",
            subject="Set your password",
            body="A link.",
            at=at,
        )


def mailing(mailbox: MongoMailbox, sender: MailSender) -> MailDispatcher:
    return MailDispatcher(
        mailbox=mailbox,
        sender=sender,
        metrics=AccessMetrics(CollectorRegistry()),
        poll_seconds=1,
        retry_seconds=1,
    )
