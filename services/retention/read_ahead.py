"""What retention's consumer of intake's request events reads ahead for a batch, so that each
new request's look-ups are answered from memory: its erasure check (stamped together, held until
the batch commits), whether its retention clock runs already, and the purge check of each
organisation a decision names."""

from __future__ import annotations

from services.retention.repository import CLOCKS
from shared.events import CloudEvent
from shared.events.access import RequestOrganisationDecided
from shared.mongo import Transaction
from shared.read_ahead import hold_erasure_checks, hold_purge_checks, new_requests, prime


async def clocks_read_ahead(events: list[CloudEvent], tx: Transaction) -> None:
    """For `handlers.start_retention_clock` and `handlers.follow_organisation`."""
    await hold_erasure_checks(events, tx)
    await hold_purge_checks(events, tx)
    await prime(tx, CLOCKS, "_id", [received.request_id for received in new_requests(events)])


async def decisions_read_ahead(events: list[CloudEvent], tx: Transaction) -> None:
    """For `handlers.note_organisation_decision`: the clocks of a batch's decisions, one read,
    and the decisions on arrival that a request is nobody's (most) noted on those running, one
    update."""
    decisions = [
        RequestOrganisationDecided.from_event(e)
        for e in events
        if e.type == RequestOrganisationDecided.event_type
    ]
    running = {
        str(clock["_id"])
        for clock in await prime(tx, CLOCKS, "_id", [d.request_id for d in decisions])
    }
    nobodys = [
        d.request_id
        for d in decisions
        if d.version == 1 and d.organisation_id is None and d.request_id in running
    ]
    if nobodys:
        await tx.database[CLOCKS].update_many(
            {"_id": {"$in": nobodys}, "decided_version": {"$lt": 1}},
            {"$set": {"decided_version": 1, "decided_organisation_id": None}},
            session=tx.session,
        )
