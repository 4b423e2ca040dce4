"""A round of queued mail is claimed in one write and recorded as sent in one write, on the real
store and a real SMTP sink: the store's work per round does not grow with its mail (intake's
acknowledgements, access's set-password mail). A relay that fails in the middle of a round
leaves what went recorded as sent and the rest free for the next round at once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from services.access.account_store import MongoMailbox
from services.intake.repository import ACKNOWLEDGEMENTS
from shared.mail import MailRelayUnavailableError, MailSender, RelayConnection
from shared.mongo import TransactionRunner
from tests.support.commands import CommandNames
from tests.support.infrastructure import Infrastructure
from tests.support.mail_queue import (
    acknowledging,
    mailing,
    queue_account_mail,
    queue_acknowledgements,
)
from tests.support.smtp import SmtpSink


class RelayFailingAt(MailSender):
    """A relay that drops the `failing_at`-th mail it is given (1-based), as a relay going away
    in the middle of a round does; the others reach the sink."""

    def __init__(self, *, port: int, failing_at: int) -> None:
        super().__init__(host="127.0.0.1", port=port, sender="support@support.example")
        self.failing_at = failing_at
        self.given = 0

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[RelayConnection]:
        async with super().connection() as relay:
            sending = relay.send

            async def send(message: EmailMessage) -> None:
                self.given += 1
                if self.given == self.failing_at:
                    raise MailRelayUnavailableError("the relay went away")
                await sending(message)

            relay.send = send  # type: ignore[method-assign]
            yield relay


@pytest.fixture
async def watched(
    infrastructure: Infrastructure, scratch_runner: TransactionRunner
) -> AsyncIterator[tuple[TransactionRunner, CommandNames]]:
    """A runner on the test's database whose client reports every command it sends."""
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    yield TransactionRunner(client, scratch_runner.database.name), commands
    await client.close()


@pytest.mark.parametrize("mails", [1, 20])
async def test_a_round_of_acknowledgements_costs_the_store_the_same_few_commands(
    watched: tuple[TransactionRunner, CommandNames], mail_sink: SmtpSink, mails: int
) -> None:
    runner, commands = watched
    await queue_acknowledgements(runner, mails)
    sender = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@support.example")
    commands.names.clear()
    assert await acknowledging(runner, sender).send_pending() == mails
    # the queued, the claim, the claimed, the record of what was sent: per round, not per mail
    assert commands.names == ["find", "update", "find", "update"]
    assert len(mail_sink.messages) == mails
    unsent = await runner.database[ACKNOWLEDGEMENTS].count_documents({"sent_at": None})
    addressed = await runner.database[ACKNOWLEDGEMENTS].count_documents({"to": {"$exists": True}})
    assert (unsent, addressed) == (0, 0)  # the addresses are dropped once sent


async def test_a_relay_failing_mid_round_keeps_what_went_and_frees_the_rest_at_once(
    scratch_runner: TransactionRunner, mail_sink: SmtpSink
) -> None:
    await queue_acknowledgements(scratch_runner, 5)
    failing = RelayFailingAt(port=mail_sink.port, failing_at=3)
    with pytest.raises(MailRelayUnavailableError):
        await acknowledging(scratch_runner, failing).send_pending()
    acknowledgements = scratch_runner.database[ACKNOWLEDGEMENTS]
    went = await acknowledgements.find({"sent_at": {"$ne": None}}).to_list()
    assert sorted(str(d["_id"]) for d in went) == ["request-0", "request-1"]
    assert all("to" not in d for d in went)
    held = await acknowledgements.count_documents({"lease_until": {"$exists": True}})
    assert held == 0  # not left to wait for the lease
    working = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@support.example")
    assert await acknowledging(scratch_runner, working).send_pending() == 3
    assert sorted(str(m["Message-ID"]) for m in mail_sink.messages) == sorted(
        f"<ack-{n}@support.example>" for n in range(5)
    )


@pytest.mark.parametrize("mails", [1, 20])
async def test_a_round_of_account_mail_costs_the_store_the_same_few_commands(
    watched: tuple[TransactionRunner, CommandNames], mail_sink: SmtpSink, mails: int
) -> None:
    runner, commands = watched
    mailbox = MongoMailbox(runner.database)
    now = datetime.now(UTC)
    await queue_account_mail(mailbox, mails, at=now)
    relay = MailSender(host="127.0.0.1", port=mail_sink.port, sender="support@support.example")
    dispatcher = mailing(mailbox, relay)
    commands.names.clear()
    assert await dispatcher.send_due(now) == mails
    assert commands.names == ["find", "update", "find", "delete"]
    assert len(mail_sink.messages) == mails
    assert await mailbox.due(datetime.now(UTC)) == []
