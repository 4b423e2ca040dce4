"""One service's part in the privacy protocol (P7, P8, P11), written once for all four.

retention asks every participant to erase a scope (an organisation, a person, one request), to
export what it holds on a person, or to apply a person's corrected contact details. Each service
describes its store as `Holdings`; this module does the rest the same way everywhere:

1. note the persons the scope touches, before anything is deleted (a redo would not find them);
2. delete every copy in scope but the requests the scope keeps;
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
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel

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
    KeptGround,
    KeptRecords,
    Participant,
    RectificationRequested,
    RequestsErased,
)
from shared.events.sources import EventSource
from shared.mongo import Transaction, TransactionRunner
from shared.outbox import add_many_to_outbox
from shared.participant_export import SLICES_PER_TRANSACTION, export

RELEASE_BATCH = 250
"""Persons released per call: a few queries per batch instead of a few per person (an
organisation of 1,000 people took access 55 s one at a time), `$in` lists of bounded length."""


def person_ids(scope: ErasureScope) -> list[str]:
    """A person's scope: their data-subject id and the other ids retention names with it."""
    return [scope.id, *scope.data_subject_ids]


def owned_by(scope: ErasureScope) -> dict[str, Any]:
    """What an organisation's or a person's scope covers, as a query: the organisation's
    records, or the records the person filed under any of their data-subject ids."""
    if scope.kind == "organisation":
        return {"organisation_id": scope.id}
    if scope.kind == "person":
        return {"requester_id": {"$in": person_ids(scope)}}
    raise ValueError("a request's scope is its own id")


@dataclass(frozen=True)
class Kept:
    """A person's own record that stays, and why (one record may stand for several of the
    person's ids: an account links every contact id of its email)."""

    ground: KeptGround
    record: str


class ErasureNotes(Protocol):
    """What one erasure has deleted so far in this service, over every run of it."""

    async def subjects_found(self, subjects: Iterable[str]) -> None: ...
    async def requests_found(self, request_ids: Iterable[str]) -> None: ...
    async def requests_noted(self) -> set[str]: ...
    async def request_erased(self, request_id: str) -> None: ...
    async def requests_erased(self, request_ids: Iterable[str]) -> None: ...
    async def persons_erased(self, persons: Iterable[str]) -> None: ...
    async def addresses_erased(self, marks: Iterable[str]) -> None: ...
    async def organisation_erased(self, organisation_id: str) -> None: ...
    async def deleted(self, name: str, count: int) -> int: ...
    async def so_far(self) -> tuple[dict[str, int], set[str]]: ...


class Holdings(Protocol):
    """A service's copies of personal data, as the privacy protocol sees them."""

    person_records: str
    """The kind of a person's own record here (`contacts`, `accounts`), named in counts."""

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        """The persons whose data the scope touches: requesters of its requests, and for an
        organisation its representatives."""
        ...

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        """Delete every copy in scope but the kept requests, noting counts as it goes."""
        ...

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        """After the deletes: delete these persons' own records here unless a ground keeps
        them (`held`: the persons a legal hold names); what stays, by person, and why. Each
        person is decided as if alone; the batch only saves round trips."""
        ...

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        """What is still in scope, counted from the store: copies of requests not kept, and the
        own records of the `released` persons (those no ground keeps)."""
        ...

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        """Records of the scope's person, or of the `released` persons, that stay with someone
        else's (what they wrote on another's request, kept with it), counted from the store
        after the deletes, by ground."""
        ...

    async def export(self, data_subject_id: str) -> BaseModel:
        """Everything held on the person, machine-readable."""
        ...

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        """Replace the person's contact details wherever they are held here, as the person
        stated them `at` (a customer's statement about them made before stays overruled)."""
        ...


async def erase(
    requested: ErasureRequested,
    *,
    participant: Participant,
    holdings: Holdings,
    notes: ErasureNotes,
    now: Callable[[], datetime],
) -> ErasureCompleted:
    """Do one participant's part of an erasure and say what it did and found left."""
    scope = requested.scope
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
        + await holdings.kept_alongside(scope, released=subjects - set(kept)),
        kept_data_subject_ids=tuple(sorted(kept)),
    )


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
