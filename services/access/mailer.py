"""Sends staged mail through the SMTP relay; a relay that is down means later, never lost."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from services.access.account_store import MongoMailbox
from services.access.metrics import AccessMetrics
from shared.background import stop_if_cancelled
from shared.mail import MailRelayUnavailableError, MailSender

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(seconds=60)


class MailDispatcher:
    """Polls the mailbox; on success deletes the mail, on relay failure retries later."""

    def __init__(
        self,
        *,
        mailbox: MongoMailbox,
        sender: MailSender,
        metrics: AccessMetrics,
        poll_seconds: float,
        retry_seconds: float,
    ) -> None:
        self._mailbox = mailbox
        self._sender = sender
        self._metrics = metrics
        self._poll_seconds = poll_seconds
        self._retry = timedelta(seconds=retry_seconds)

    async def run(self) -> None:
        """Forever: send what is due (retry timing is operational, so the wall clock)."""
        while True:
            stop_if_cancelled()
            try:
                await self.send_due(datetime.now(UTC))
            except Exception as error:
                log.warning("mail dispatch waiting", extra={"error": type(error).__name__})
            await asyncio.sleep(self._poll_seconds)

    async def send_due(self, now: datetime) -> int:
        """Send each due mail that this dispatcher claims first (two replicas never both
        send one); a mail claimed and never recorded as sent is taken again after the lease."""
        sent = 0
        async with self._sender.connection() as relay:
            for due in await self._mailbox.due(now):
                mail = await self._mailbox.claim(due["_id"], now=now, until=now + SEND_LEASE)
                if mail is None:
                    continue
                message = self._sender.message(
                    to=mail["to"], subject=mail["subject"], body=mail["body"]
                )
                try:
                    await relay.send(message)
                except MailRelayUnavailableError:
                    self._metrics.mail.labels(outcome="relay_unavailable").inc()
                    await self._mailbox.retry_later(mail["_id"], at=now + self._retry)
                    continue
                await self._mailbox.sent(mail["_id"])
                self._metrics.mail.labels(outcome="sent").inc()
                sent += 1
        return sent
