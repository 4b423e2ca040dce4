"""Sends staged mail through the SMTP relay; a relay that is down means later, never lost."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from services.access.account_store import MongoMailbox
from services.access.metrics import AccessMetrics
from shared.background import stop_if_cancelled
from shared.mail import MailRefusedError, MailRelayUnavailableError, MailSender

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
        """Send the due mail this dispatcher claims (two replicas never both send one), claimed
        together and recorded as sent together at the end of the round; a mail claimed and never
        recorded as sent (a crash) is taken again after the lease."""
        due = [str(mail["_id"]) for mail in await self._mailbox.due(now)]
        if not due:
            return 0
        done: list[str] = []  # sent, or refused for good: neither is tried again
        sent = 0
        try:
            async with self._sender.connection() as relay:
                for mail in await self._mailbox.claim(due, now=now, until=now + SEND_LEASE):
                    try:
                        message = self._sender.message(
                            to=mail["to"], subject=mail["subject"], body=mail["body"]
                        )
                    except Exception as error:  # ours to mend; it must not hold up the rest
                        log.error("mail cannot be made", extra={"error": type(error).__name__})
                        self._metrics.mail.labels(outcome="unbuildable").inc()
                        await self._mailbox.retry_later(mail["_id"], at=now + self._retry)
                        continue
                    try:
                        await relay.send(message)
                    except MailRefusedError:
                        self._metrics.mail.labels(outcome="refused").inc()
                        done.append(str(mail["_id"]))
                        continue
                    except MailRelayUnavailableError:
                        self._metrics.mail.labels(outcome="relay_unavailable").inc()
                        await self._mailbox.retry_later(mail["_id"], at=now + self._retry)
                        continue
                    done.append(str(mail["_id"]))
                    sent += 1
                    self._metrics.mail.labels(outcome="sent").inc()
        finally:
            if done:
                await self._mailbox.sent(done)
        return sent
