"""What retention's consumer of intake's request events reads ahead for a batch, so that each
new request's look-ups are answered from memory: its erasure check (stamped together, held until
the batch commits), whether its retention clock runs already, and the purge check of each
organisation a decision names."""

from __future__ import annotations

from services.retention.repository import CLOCKS
from shared.events import CloudEvent
from shared.mongo import Transaction
from shared.read_ahead import hold_erasure_checks, hold_purge_checks, new_requests, prime


async def clocks_read_ahead(events: list[CloudEvent], tx: Transaction) -> None:
    """For `handlers.start_retention_clock` and `handlers.follow_organisation`."""
    await hold_erasure_checks(events, tx)
    await hold_purge_checks(events, tx)
    await prime(tx, CLOCKS, "_id", [received.request_id for received in new_requests(events)])
