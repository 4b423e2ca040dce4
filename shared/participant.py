"""One service's part in the privacy protocol (P7, P8, P11), written once for all four.

retention asks every participant to erase a scope (an organisation, a person, one request), to
export what it holds on a person, or to apply a person's corrected contact details. Each service
describes its store as `Holdings` (shared/holdings.py); this module does the rest the same way
everywhere:

1. note the persons the scope touches, before anything is deleted (a redo would not find them);
2. delete every copy in scope but the requests the scope keeps (for a person's, also those
   this service holds as a customer's: retention may have planned before it read them);
3. for each of those persons, let go of their own data (contact, account, survey registration)
   unless another ground keeps it: a legal hold, the customer-records rule, a membership of
   another customer organisation, requests outside the scope (P8: not their last one);
4. count, from the store, what is left in scope (kept records excluded), and
5. publish the completion: counts deleted, counts left, what was kept and why, whose data went;
   with it, for a person's scope, the requests it noted deleting (intake, which files them:
   `privacy.requests.erased.v1`), on which every other participant drops what it made of them
   from a late read of their announcements.

Deleting happens outside the handler's transaction (large scopes would outgrow it), so the
counts, persons and requests of every run are kept in `ErasureNotes` and a redo reports the
whole. A correction of contact details arrives twice: asked by retention, and announced by
intake after the registration it corrects (`support.contact.rectified.v1`), for what a
participant registered from a late read of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from shared import topics
from shared.clock import Clock
from shared.consumer import EventHandler
from shared.crypto import KeyStore, unseal
from shared.events import CloudEvent, EventSchemaError
from shared.events.intake import ContactDetails, ContactRectified
from shared.events.privacy import (
    REQUESTS_ERASED_PER_EVENT,
    ErasureCompleted,
    ErasureRequested,
    ErasureScope,
    ExportRequested,
    KeptRecords,
    Participant,
    RectificationRequested,
    RequestsErased,
)
from shared.events.sources import EventSource
from shared.holdings import ErasureNotes, Holdings, Kept
from shared.mongo import Transaction, TransactionRunner
from shared.outbox import add_many_to_outbox
from shared.participant_export import SLICES_PER_TRANSACTION, export

RELEASE_BATCH = 250
"""Persons released per call: a few queries per batch instead of a few per person (an
organisation of 1,000 people took access 55 s one at a time), `$in` lists of bounded length."""


async def erase(
    requested: ErasureRequested,
    *,
    participant: Participant,
    holdings: Holdings,
    notes: ErasureNotes,
    now: Callable[[], datetime],
) -> ErasureCompleted:
    """Do one participant's part of an erasure and say what it did and found left."""
    scope, also_kept = await _with_customers_requests(requested.scope, holdings=holdings)
    await notes.subjects_found({*await holdings.persons_in(scope), *scope.data_subject_ids})
    if scope.kind == "request" and scope.id not in scope.keep_request_ids:
        await notes.request_erased(scope.id)  # its announcement may still be on its way
    elif scope.kind == "organisation":  # a statement about its people may still be on its way
        await notes.organisation_erased(scope.id)
    await holdings.delete(scope, notes=notes)
    _, noted = await notes.so_far()
    kept: dict[str, Kept] = {}
    persons, held = sorted(noted), set(scope.keep_data_subject_ids)
    for start in range(0, len(persons), RELEASE_BATCH):
        batch = persons[start : start + RELEASE_BATCH]
        kept.update(await holdings.release(batch, scope, held=held, notes=notes))
    counts, subjects = await notes.so_far()
    remaining = await holdings.remaining(scope, released=subjects - set(kept))
    by_ground = Counter(stays.ground for stays in set(kept.values()))
    return ErasureCompleted(
        erasure_id=requested.erasure_id,
        participant=participant,
        completed_at=now(),
        counts=counts,
        data_subject_ids=tuple(sorted(subjects - set(kept))),
        remaining=remaining,
        kept=tuple(
            KeptRecords(records=holdings.person_records, count=count, ground=ground)
            for ground, count in sorted(by_ground.items())
        )
        + also_kept
        + await holdings.kept_alongside(scope, released=subjects - set(kept)),
        kept_data_subject_ids=tuple(sorted(kept)),
    )


async def _with_customers_requests(
    scope: ErasureScope, *, holdings: Holdings
) -> tuple[ErasureScope, tuple[KeptRecords, ...]]:
    """A person's scope keeping, besides what retention listed, the requests this service
    holds as a customer's (P7: retention may have planned before it read them); those it adds,
    counted for the certificate."""
    if scope.kind != "person":
        return scope, ()
    listed = set(scope.keep_request_ids)
    added = await holdings.customers_requests(scope) - listed
    if not added:
        return scope, ()
    kept = tuple(sorted(listed | added))
    counted = KeptRecords(records="requests", count=len(added), ground="customer_records")
    return scope.model_copy(update={"keep_request_ids": kept}), (counted,)


def completed_event(completed: ErasureCompleted, *, source: EventSource) -> CloudEvent:
    return source.event(
        subject=completed.erasure_id,
        time=completed.completed_at,
        data=completed,
    )


async def erased_requests_events(
    completed: ErasureCompleted, *, notes: ErasureNotes, source: EventSource
) -> list[CloudEvent]:
    """The requests this participant noted erasing (intake, with a person), for the others."""
    erased = sorted(await notes.requests_noted())
    return [
        source.event(
            subject=completed.erasure_id,
            time=completed.completed_at,
            data=RequestsErased(
                erasure_id=completed.erasure_id,
                participant=completed.participant,
                erased_at=completed.completed_at,
                request_ids=tuple(erased[start : start + REQUESTS_ERASED_PER_EVENT]),
            ),
        )
        for start in range(0, len(erased), REQUESTS_ERASED_PER_EVENT)
    ]


async def drop_erased_requests(
    erased: RequestsErased, *, holdings: Holdings, notes: ErasureNotes
) -> None:
    """Another participant erased these requests with a person: remember them as erased (their
    announcement, read after this, makes nothing), then delete what was made of them already
    (their announcement was read after this participant's part of the erasure)."""
    await notes.requests_erased(erased.request_ids)
    for request_id in erased.request_ids:
        await holdings.delete(ErasureScope(kind="request", id=request_id), notes=notes)


async def rectify(requested: RectificationRequested, *, holdings: Holdings, keys: KeyStore) -> None:
    """Apply corrected contact details; a person already erased (key shredded) stays erased."""
    if requested.details.data_subject_id != requested.data_subject_id:
        raise EventSchemaError("details: must be sealed for data_subject_id")
    details = await unseal(requested.details, ContactDetails, keys=keys)
    if details is not None:
        await holdings.rectify(requested.data_subject_id, details, at=requested.requested_at)


def participant_handlers(
    *,
    participant: Participant,
    source: EventSource,
    holdings: Callable[[Transaction], Holdings],
    notes: Callable[[Transaction, str], ErasureNotes],
    keys: KeyStore,
    clock: Clock,
    runner: TransactionRunner | None = None,
) -> dict[str, EventHandler]:
    """The consumer handlers of erasure, export and rectification requests for one service:
    its completions and contributions are staged in the outbox of the handler's transaction
    (with `runner`, a large export part's slices in transactions of their own)."""

    async def on_erasure(event: CloudEvent, tx: Transaction) -> None:
        requested = ErasureRequested.from_event(event)
        noted = notes(tx, requested.erasure_id)
        completed = await erase(
            requested, participant=participant, holdings=holdings(tx), notes=noted, now=clock.now
        )
        told = await erased_requests_events(completed, notes=noted, source=source)
        await add_many_to_outbox(
            tx,
            topic=topics.PRIVACY_ERASURE,
            events=[completed_event(completed, source=source), *told],
        )

    async def on_requests_erased(event: CloudEvent, tx: Transaction) -> None:
        erased = RequestsErased.from_event(event)
        if erased.participant != participant:  # its own deletes are done
            noted = notes(tx, f"{erased.erasure_id}/{erased.participant}")
            await drop_erased_requests(erased, holdings=holdings(tx), notes=noted)

    async def on_export(event: CloudEvent, tx: Transaction) -> None:
        contributed = await export(
            ExportRequested.from_event(event),
            participant=participant,
            holdings=holdings(tx),
            keys=keys,
            now=clock.now,
        )
        events = [
            source.event(subject=part.export_id, time=part.contributed_at, data=part)
            for part in contributed
        ]
        if len(events) == 1 or runner is None:
            await add_many_to_outbox(tx, topic=topics.PRIVACY_DSR, events=events)
            return
        # a large part's slices are staged in transactions of their own, a few at a time: in
        # one they could pass the store's transaction limit (SecantusDB: about 12 MB). Staged
        # again if this handler is redone, they are the same slices to retention.
        for start in range(0, len(events), SLICES_PER_TRANSACTION):
            async with runner.transaction() as own:
                chunk = events[start : start + SLICES_PER_TRANSACTION]
                await add_many_to_outbox(own, topic=topics.PRIVACY_DSR, events=chunk)
        tx.staged.append(len(events))  # so the relay is woken when this handler commits

    async def on_rectification(event: CloudEvent, tx: Transaction) -> None:
        await rectify(RectificationRequested.from_event(event), holdings=holdings(tx), keys=keys)

    async def on_contact_rectified(event: CloudEvent, tx: Transaction) -> None:
        # the same correction, after the registration on support.contacts: what a service
        # registered from that topic read late is corrected too
        rectified = ContactRectified.from_event(event)
        details = await unseal(rectified.details, ContactDetails, keys=keys)
        if details is not None:  # erased since: nothing to correct
            await holdings(tx).rectify(rectified.contact_id, details, at=rectified.rectified_at)

    return {
        ErasureRequested.event_type: on_erasure,
        RequestsErased.event_type: on_requests_erased,
        ExportRequested.event_type: on_export,
        RectificationRequested.event_type: on_rectification,
        ContactRectified.event_type: on_contact_rectified,  # support.contacts: wired there
    }
