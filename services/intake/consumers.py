"""Kafka entrypoints of intake's channels: translate an event, call the handler, count it."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from services.intake.handlers import Matching, address_marks, call_key
from services.intake.mail_intake import MailOutcome, MailPolicy, receive_mail
from services.intake.metrics import IntakeMetrics
from services.intake.mime import minimal_mail, parse_mail
from services.intake.phone import UnusableCall, caller_keys, receive_call
from services.intake.repository import CHANNEL_ITEMS, CONTACTS, REQUESTS, MongoIntakeUnitOfWork
from services.intake.smtp import mail_key_id
from shared.clock import Clock
from shared.consumer import BatchPreparer, EventHandler
from shared.crypto import KeyStore, unseal
from shared.erasure_progress import ERASED_ADDRESSES
from shared.events import CloudEvent, EventSchemaError
from shared.events.access import RequestOrganisationDecided
from shared.events.channels import EmailReceived, PhoneCallLogged, RawMail
from shared.events.intake import RequestReceived
from shared.mongo import Transaction
from shared.read_ahead import prime
from shared.stores import handled_in

IN_UNIT_OF_WORK = handled_in(MongoIntakeUnitOfWork)
"""Each channel's handler runs in intake's unit of work, in the consumer's transaction."""


def email_handler(
    *,
    keys: KeyStore,
    policy: MailPolicy,
    metrics: IntakeMetrics,
    raw_mail_store_bytes: int,
) -> EventHandler:
    """Turns `intake.email.received.v1` into a request, a threaded message or nothing."""

    async def on_mail(event: CloudEvent, uow: MongoIntakeUnitOfWork) -> None:
        received = EmailReceived.from_event(event)
        raw_mail = await unseal(received.content, RawMail, keys=keys)
        if raw_mail is None:
            return  # the mail's key was shredded: it is erased
        try:
            # as the SMTP server cuts it (a mail an earlier version published came whole)
            raw = minimal_mail(base64.b64decode(raw_mail.content_base64, validate=True))
        except binascii.Error:
            raise EventSchemaError("content.content_base64: not base64") from None
        outcome = await receive_mail(
            mail=parse_mail(raw),
            received_at=received.received_at,
            uow=uow,
            keys=keys,
            policy=policy,
        )
        if outcome.reason == "sender_erased":  # nothing of it is kept, here or in Kafka
            await keys.shred(mail_key_id(received.mail_id))
            _count(metrics, "email", outcome)
            return
        kept = outcome.request_id is not None
        await uow.raw_mails.keep(
            {
                "_id": received.mail_id,
                "outcome": outcome.kind,
                "reason": outcome.reason,
                "request_id": outcome.request_id,
                "requester_id": outcome.requester_id,
                "organisation_id": outcome.organisation_id,
                "received_at": received.received_at,
                "size": received.size,
                "raw": raw if kept and len(raw) <= raw_mail_store_bytes else None,
            }
            | ({"correspondent_id": outcome.correspondent_id} if outcome.correspondent_id else {})
        )
        if not kept:
            await keys.shred(mail_key_id(received.mail_id))  # not kept, so not kept in Kafka
        _count(metrics, "email", outcome)

    return IN_UNIT_OF_WORK(on_mail)


def phone_handler(
    *,
    keys: KeyStore,
    metrics: IntakeMetrics,
    default_phone_region: str,
    fold_plus_addressing: bool,
    mail_domain: str,
) -> EventHandler:
    """Turns `intake.phone.call_logged.v1` into a request or a message; unusable ones to DLQ."""
    matching = Matching(
        fold_plus_addressing=fold_plus_addressing, default_phone_region=default_phone_region
    )

    async def on_call(event: CloudEvent, uow: MongoIntakeUnitOfWork) -> None:
        call = PhoneCallLogged.from_event(event)
        try:
            outcome = await receive_call(
                call=call,
                uow=uow,
                keys=keys,
                matching=matching,
                mail_domain=mail_domain,
            )
        except UnusableCall as error:
            if not uow.tx.in_batch:
                reason = str(error).split(":", 1)[0]
                metrics.rejected.labels(channel="phone", reason=reason).inc()
            raise EventSchemaError(str(error)) from None
        erased = "caller_erased" if outcome.kind == "erased" else None
        counted = MailOutcome(outcome.kind, reason=erased, request_id=outcome.request_id)
        uow.tx.after_commit(lambda: _count(metrics, "phone", counted))

    return IN_UNIT_OF_WORK(on_call)


def phone_batch_preparer(*, keys: KeyStore, matching: Matching) -> BatchPreparer:
    """Reads ahead, for a batch of calls, what `receive_call` looks up per call: the calls seen
    before, the callers by email, their data keys, and whether they were erased since."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        calls = [PhoneCallLogged.from_event(event) for event in events]
        await prime(tx, CHANNEL_ITEMS, "_id", [call_key(call.call_id) for call in calls])
        emails = [matching.email_key(str(c.caller_email)) for c in calls if c.caller_email]
        callers = await prime(tx, CONTACTS, "email_normalised", emails)
        await keys.prime(str(caller["_id"]) for caller in callers)
        marks = [
            mark
            for call in calls
            for mark in await address_marks(keys, **caller_keys(call, matching))
        ]
        await prime(tx, ERASED_ADDRESSES, "_id", marks)

    return prepare


def published_request_observer(*, metrics: IntakeMetrics, clock: Clock) -> EventHandler:
    """Observes intake's own `request.received` events once readable on Kafka: the time from
    receipt on the channel to the published request."""

    async def on_published(event: CloudEvent, _tx: Transaction) -> None:
        received = RequestReceived.from_event(event)
        metrics.receipt_to_published.labels(channel=received.channel).observe(
            _seconds_since(received.received_at, clock=clock)
        )

    return on_published


def _seconds_since(at: datetime, *, clock: Clock) -> float:
    return max(0.0, (clock.now() - at).total_seconds())


def _count(metrics: IntakeMetrics, channel: str, outcome: MailOutcome) -> None:
    if outcome.kind == "opened":
        metrics.accepted.labels(channel=channel).inc()
    elif outcome.kind == "threaded":
        metrics.threaded.labels(channel=channel).inc()
    elif outcome.kind == "duplicate":
        metrics.duplicates.labels(channel=channel).inc()
    else:
        metrics.rejected.labels(channel=channel, reason=outcome.reason or "ignored").inc()


async def note_nobodys(events: list[CloudEvent], tx: Transaction) -> None:
    """Read ahead for a batch of decisions: those on arrival that a request is nobody's (most)
    noted together, one update for the batch, not one a request."""
    nobodys = [
        decided.request_id
        for event in events
        if event.type == RequestOrganisationDecided.event_type
        and (decided := RequestOrganisationDecided.from_event(event)).version == 1
        and decided.organisation_id is None
    ]
    if nobodys:
        await tx.database[REQUESTS].update_many(
            {"_id": {"$in": nobodys}, "organisation_version": 0},
            {"$set": {"organisation_version": 1}},
            session=tx.session,
        )
