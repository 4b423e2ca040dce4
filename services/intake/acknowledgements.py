"""Acknowledgement mails: queued in the request's transaction, sent after commit by a
dispatcher, so a relay outage neither loses them nor blocks intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from email.message import EmailMessage
from uuid import uuid4

from pymongo import ASCENDING

from services.intake.metrics import IntakeMetrics
from services.intake.repository import ACKNOWLEDGEMENTS
from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.mail import MailRefusedError, MailRelayUnavailableError, MailSender
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
        """Send every queued acknowledgement that no other dispatcher holds: they are claimed
        together first (two replicas never both send one), and recorded as sent together at the
        end of the round, when the address is dropped. A failed send frees those not sent for
        the next try, here or elsewhere; a crash leaves them to be taken again after the lease."""
        pending = (
            await self._collection.find({"sent_at": None}, {"_id": 1})
            .sort("queued_at", ASCENDING)
            .limit(100)
            .to_list()
        )
        self._metrics.acknowledgement_backlog.set(len(pending))
        if not pending:
            return 0
        claimed = await self._claim([queued["_id"] for queued in pending])
        sent: list[object] = []
        refused: list[object] = []
        unbuildable: list[object] = []  # kept, claimed: tried again once the lease runs out
        try:
            async with self._sender.connection() as relay:
                for document in claimed:
                    try:
                        mail = acknowledgement_mail(self._sender, document, base_url=self._base_url)
                    except Exception as error:  # ours to mend; it must not hold up the rest
                        log.error(
                            "acknowledgement mail cannot be made",
                            extra={"error": type(error).__name__},
                        )
                        self._metrics.acknowledgements_unbuildable.inc()
                        unbuildable.append(document["_id"])
                        continue
                    try:
                        await relay.send(mail)
                    except MailRefusedError:  # never deliverable: it must not hold up the rest
                        refused.append(document["_id"])
                        self._metrics.acknowledgements_refused.inc()
                        continue
                    sent.append(document["_id"])
                    self._metrics.acknowledgements_sent.inc()
        except BaseException:
            done = len(sent) + len(refused) + len(unbuildable)
            unsent = [document["_id"] for document in claimed[done:]]
            await self._collection.update_many(
                {"_id": {"$in": unsent}}, {"$unset": {"lease_until": "", "claim": ""}}
            )
            raise
        finally:
            await self._finish(sent)
            await self._finish(refused, refused=True)
        self._metrics.acknowledgement_backlog.set(len(unbuildable))
        return len(sent)

    async def _finish(self, ids: list[object], *, refused: bool = False) -> None:
        """Record these as done and drop their address: `sent_at` ends an acknowledgement's
        time in the queue either way; `refused_at` says the relay refused it for good."""
        if not ids:
            return
        now = self._clock.now()
        done = {"sent_at": now, "refused_at": now} if refused else {"sent_at": now}
        await self._collection.update_many(
            {"_id": {"$in": ids}},
            {"$set": done, "$unset": {"to": "", "lease_until": "", "claim": ""}},
        )

    async def _claim(self, ids: list[object]) -> list[Document]:
        """Take the unsent of these acknowledgements that no dispatcher holds, in one write;
        those taken, in queued order."""
        now = self._clock.now()
        claim = str(uuid4())
        await self._collection.update_many(
            {
                "_id": {"$in": ids},
                "sent_at": None,
                "$or": [{"lease_until": None}, {"lease_until": {"$lte": now}}],
            },
            {"$set": {"lease_until": now + SEND_LEASE, "claim": claim}},
        )
        taken = self._collection.find({"_id": {"$in": ids}, "claim": claim})
        return await taken.sort("queued_at", ASCENDING).to_list()
