"""Reading ahead for a batch (`ServiceRuntime.consume(prepare=...)`): `prime` a collection
for the values the handlers will look up, `find_any` answered from what was primed, and the
preparers the services share (what a batch of intake's events is checked against)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection

from shared.erasure_progress import ERASED_ORGANISATIONS, ERASED_REQUESTS, hold_all
from shared.events import CloudEvent
from shared.events.intake import OrganisationChanged, RequestReceived, StatusChanged
from shared.mongo import Document, Transaction
from shared.write_behind import WriteBehindCollection


def new_requests(events: list[CloudEvent]) -> list[RequestReceived]:
    return [RequestReceived.from_event(e) for e in events if e.type == RequestReceived.event_type]


async def hold_erasure_checks(
    events: list[CloudEvent], tx: Transaction, *, resolutions: bool = False
) -> None:
    """The erasure check of every new request in the batch (`erasure_progress.was_erased`),
    and with `resolutions` of every request resolved in it, stamped in one write and read back
    in one query, held until the batch commits."""
    checked = [received.request_id for received in new_requests(events)]
    if resolutions:
        checked += [
            changed.request_id
            for changed in (
                StatusChanged.from_event(e) for e in events if e.type == StatusChanged.event_type
            )
            if changed.to_status == "resolved"
        ]
    await hold_all(tx, ERASED_REQUESTS, checked)


async def hold_purge_checks(events: list[CloudEvent], tx: Transaction) -> None:
    """The purge check of every organisation the batch's decisions name
    (`erasure_progress.erased_at`), stamped together and held until the batch commits: a
    decision does not flush the batch's held writes to look."""
    decided = [
        OrganisationChanged.from_event(e)
        for e in events
        if e.type == OrganisationChanged.event_type
    ]
    await hold_all(
        tx, ERASED_ORGANISATIONS, [d.organisation_id for d in decided if d.organisation_id]
    )


async def find_any(
    collection: AsyncCollection[Document] | WriteBehindCollection,
    clauses: list[Document],
    *,
    session: AsyncClientSession | None,
) -> list[Document]:
    """The documents matching any of these plain equality `clauses`, each once: from what a
    batch's preparer primed where it can (`WriteBehindCollection.prime`), else one query."""
    if isinstance(collection, WriteBehindCollection):
        answered = await collection.primed_any(clauses)
        if answered is not None:
            return answered
        await collection.flush()  # a cursor cannot see held writes
    query = clauses[0] if len(clauses) == 1 else {"$or": clauses}
    return await collection.find(query, session=session).to_list()


async def prime(tx: Transaction, name: str, field: str, values: Iterable[Any]) -> list[Document]:
    """Prime `name` for these values of `field` if `tx` is a batch's write-behind transaction
    (see `WriteBehindCollection.prime`); return what was read. A plain transaction: nothing."""
    collection: object = tx.database[name]
    if isinstance(collection, WriteBehindCollection):
        return await collection.prime(field, values)
    return []
