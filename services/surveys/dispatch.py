"""Sends due invitations, each at most once per resolution as far as the relay allows.

Per invitation: (1) in one transaction re-check it (still due, nobody erased or opted out, no
other invitation of the same person going first),
record the intent (state `sending`, a deterministic Message-ID, the token hashes, a lease);
(2) hand the mail to the relay; (3) mark it `sent`. A relay that is down leaves it due, and it
goes out later. The remaining window is honest at-least-once: a crash after the relay took the
mail and before (3) commits resends it once the lease ends, with the same Message-ID and links.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from email.message import EmailMessage

from services.surveys.domain import (
    DUE_STATES,
    Invitation,
    Reason,
    SurveyKeys,
    gives_way,
    token_hash,
)
from services.surveys.handlers import InvitationAddress
from services.surveys.mailing import InvitationLinks, invitation_message, message_id
from services.surveys.metrics import SurveyMetrics
from services.surveys.repository import MongoSurveysUnitOfWork
from shared.background import stop_if_cancelled
from shared.clock import Clock
from shared.crypto import KeyStore, unseal
from shared.mail import MailRefusedError, MailRelayUnavailableError, MailSender
from shared.mongo import is_conflict, is_transient

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=5)


class InvitationDispatcher:
    """The background task that sends what is due; the relay being away only delays it."""

    def __init__(
        self,
        *,
        unit_of_work: Callable[[], AbstractAsyncContextManager[MongoSurveysUnitOfWork]],
        keys: KeyStore,
        sender: MailSender,
        links: InvitationLinks,
        secrets: SurveyKeys,
        clock: Clock,
        metrics: SurveyMetrics,
        link_ttl: timedelta,
        cooldown: timedelta,
        mail_domain: str,
        poll_seconds: float,
        max_backoff_seconds: float,
        batch_size: int = 50,
    ) -> None:
        self._uow = unit_of_work
        self._keys = keys
        self._sender = sender
        self._links = links
        self._secrets = secrets
        self._clock = clock
        self._metrics = metrics
        self._link_ttl = link_ttl
        self._cooldown = cooldown
        self._domain = mail_domain
        self._poll = poll_seconds
        self._max_backoff = max_backoff_seconds
        self._batch = batch_size

    async def run(self) -> None:
        """Dispatch forever; the relay or the store being away is waited out with backoff."""
        backoff = self._poll
        while True:
            stop_if_cancelled()
            try:
                await self.dispatch_due()
                backoff = self._poll
            except MailRelayUnavailableError:
                log.warning("smtp relay unavailable, invitations wait", extra={"backoff": backoff})
                backoff = min(backoff * 2, max(self._max_backoff, self._poll))
            except Exception as error:
                if not is_transient(error):
                    log.exception("dispatch failed", extra={"error": type(error).__name__})
                backoff = min(backoff * 2, max(self._max_backoff, self._poll))
            await asyncio.sleep(backoff)

    async def dispatch_due(self) -> int:
        """Send every invitation due now; return how many the relay took."""
        now = self._clock.now()
        async with self._uow() as uow:
            due = await uow.invitations.due(now=now, limit=self._batch)
            self._metrics.queue_depth.set(await uow.invitations.count_due(now=now))
        sent = 0
        async with self._sender.connection() as relay:
            for invitation_id in due:
                message = await self._claim(invitation_id)
                if message is None:
                    continue
                try:
                    await relay.send(message)
                except MailRefusedError:  # never deliverable: it must not hold up the rest
                    await self._mark_refused(invitation_id)
                    continue
                except MailRelayUnavailableError:
                    self._metrics.send_failures.inc()
                    await self._release(invitation_id)
                    raise
                await self._mark_sent(invitation_id)
                sent += 1
        if sent:
            async with self._uow() as uow:
                count = await uow.invitations.count_due(now=self._clock.now())
            self._metrics.queue_depth.set(count)
        return sent

    async def _claim(self, invitation_id: str) -> EmailMessage | None:
        """Record the intent to send (or why not to), and compose the mail. A claim that loses a
        write conflict is another dispatcher's (another replica, or a round run by hand) deciding
        about the same invitation at this moment: theirs to send, so this round goes past it."""
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                invitation = await uow.invitations.get(invitation_id)
                if invitation is None or not _due(invitation, now=now):
                    return None
                reason, email, opt_out_key = await self._recheck(uow, invitation)
                if reason is not None or email is None:
                    skipped: Reason = reason or "erased"
                    await uow.invitations.conclude(
                        invitation_id, state="skipped", reason=skipped, at=now
                    )
                    uow.tx.after_commit(
                        lambda: self._metrics.decisions.labels(reason=skipped).inc()
                    )
                    return None
                await uow.invitations.set_fields(
                    invitation_id,
                    state="sending",
                    message_id=message_id(invitation_id=invitation_id, domain=self._domain),
                    opt_out_key=opt_out_key,
                    attempts=invitation.attempts + 1,
                    lease_until=now + SEND_LEASE,
                    response_expires_at=now + self._link_ttl,
                    response_token_hash=token_hash(self._secrets.token(invitation_id, "respond")),
                    opt_out_token_hash=token_hash(self._secrets.token(invitation_id, "opt_out")),
                )
        except Exception as error:
            if not is_conflict(error):
                raise
            self._metrics.claims_lost.inc()
            return None
        return invitation_message(
            sender=self._sender,
            to=email,
            invitation_id=invitation_id,
            links=self._links,
            domain=self._domain,
        )

    async def _recheck(
        self, uow: MongoSurveysUnitOfWork, invitation: Invitation
    ) -> tuple[Reason | None, str | None, str | None]:
        subject = invitation.requester_id
        if await uow.erased.contains(self._secrets.erased_key(subject)):
            return "erased", None, None
        contact = await uow.contacts.get(subject)
        sealed = await uow.contacts.address(subject)
        if contact is None or sealed is None:
            return "not_registered", None, None
        if await uow.opt_outs.contains(contact.opt_out_key):
            return "opted_out", None, None
        person = await uow.persons.of_person(subject)
        if len(person) > 1 and gives_way(
            invitation, await uow.invitations.active_for(person), cooldown=self._cooldown
        ):
            return "cooldown", None, None
        address = await unseal(sealed, InvitationAddress, keys=self._keys)
        if address is None:
            return "erased", None, None
        return None, str(address.email), contact.opt_out_key

    async def _release(self, invitation_id: str) -> None:
        async with self._uow() as uow:
            await uow.invitations.set_fields(invitation_id, lease_until=None)

    async def _mark_sent(self, invitation_id: str) -> None:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.invitations.conclude(
                invitation_id, state="sent", reason="sent", at=now, sent_at=now, lease_until=None
            )
        self._metrics.decisions.labels(reason="sent").inc()

    async def _mark_refused(self, invitation_id: str) -> None:
        """The relay refused the address for good: skipped, never retried."""
        async with self._uow() as uow:
            await uow.invitations.conclude(
                invitation_id,
                state="skipped",
                reason="refused",
                at=self._clock.now(),
                lease_until=None,
            )
        self._metrics.decisions.labels(reason="refused").inc()


def _due(invitation: Invitation, *, now: datetime) -> bool:
    if invitation.state not in DUE_STATES or invitation.due_at is None or invitation.due_at > now:
        return False
    return invitation.lease_until is None or invitation.lease_until <= now
