"""Acknowledgement mails: queued in the request's transaction, sent after commit by a
dispatcher, so a relay outage neither loses them nor blocks intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from email.message import EmailMessage

from pymongo import ASCENDING, ReturnDocument

from services.intake.metrics import IntakeMetrics
from services.intake.repository import ACKNOWLEDGEMENTS
from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.mail import MailRelayUnavailableError, MailSender, RelayConnection
from shared.mongo import Document, TransactionRunner, is_transient

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(seconds=60)
"""How long a dispatcher holds an acknowledgement it is sending; another replica's dispatcher
leaves it alone meanwhile, and takes it over after a crash between claiming and recording."""


def acknowledgement_mail(sender: MailSender, document: Document, *, base_url: str) -> EmailMessage:
    """The mail telling a requester their reference; its Message-ID is what replies thread on."""
    reference = document["reference"]
    message = sender.message(
        to=document["to"],
        subject=document["subject"],
        body=(
            f"We have received your request. Its reference is {reference}.\n\n"
            "Reply to this mail to add to your request; keep the reference in the subject.\n"
            f"You can follow your requests at {base_url}.\n"
        ),
    )
    message["Message-ID"] = document["message_id"]
    message["Auto-Submitted"] = "auto-replied"
    message["X-Request-Reference"] = reference
    return message


class AcknowledgementDispatcher:
    """Sends queued acknowledgements in order; on a relay outage, backs off and keeps them."""

    def __init__(
        self,
        *,
        runner: TransactionRunner,
        sender: MailSender,
        clock: Clock,
        metrics: IntakeMetrics,
        base_url: str,
        poll_seconds: float,
        max_backoff_seconds: float,
    ) -> None:
        self._collection = runner.database[ACKNOWLEDGEMENTS]
        self._sender = sender
        self._clock = clock
        self._metrics = metrics
        self._base_url = base_url
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Wake the dispatcher (after a transaction that queued an acknowledgement committed)."""
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.2
        while True:
            stop_if_cancelled()
            try:
                await self.send_pending()
                backoff = 0.2
            except (MailRelayUnavailableError, TimeoutError) as error:
                log.warning("mail relay unavailable", extra={"error": str(error)})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            except Exception as error:
                if not is_transient(error):
                    log.exception("acknowledgement dispatch failed")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await self._wake.wait()

    async def send_pending(self) -> int:
        """Send every queued acknowledgement that no other dispatcher holds (each is claimed
        first, so two replicas never both send one); the address is dropped once it is sent."""
        pending = (
            await self._collection.find({"sent_at": None}, {"_id": 1})
            .sort("queued_at", ASCENDING)
            .limit(100)
            .to_list()
        )
        self._metrics.acknowledgement_backlog.set(len(pending))
        sent = 0
        async with self._sender.connection() as relay:
            for queued in pending:
                sent += await self._send(queued["_id"], relay=relay)
        if pending:
            self._metrics.acknowledgement_backlog.set(0)
        return sent

    async def _send(self, acknowledgement_id: object, *, relay: RelayConnection) -> bool:
        """Claim one acknowledgement and send it; False if another dispatcher has it or it was
        sent meanwhile. A failed send frees it for the next try, here or elsewhere."""
        now = self._clock.now()
        document = await self._collection.find_one_and_update(
            {
                "_id": acknowledgement_id,
                "sent_at": None,
                "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
            },
            {"$set": {"lease_until": now + SEND_LEASE}},
            return_document=ReturnDocument.AFTER,
        )
        if document is None:
            return False
        try:
            await relay.send(acknowledgement_mail(self._sender, document, base_url=self._base_url))
        except Exception:
            await self._collection.update_one(
                {"_id": document["_id"]}, {"$unset": {"lease_until": ""}}
            )
            raise
        await self._collection.update_one(
            {"_id": document["_id"]},
            {"$set": {"sent_at": self._clock.now()}, "$unset": {"to": "", "lease_until": ""}},
        )
        self._metrics.acknowledgements_sent.inc()
        return True
