"""What access's batch consumers read ahead for a batch of intake's events, so the handlers'
per-event look-ups are answered from memory: the erasure checks (stamped together, held until
the batch commits) and the data keys that open the sealed content."""

from __future__ import annotations

from shared.consumer import BatchPreparer
from shared.crypto import KeyStore
from shared.erasure_progress import ERASED_PERSONS, hold_all
from shared.events import CloudEvent
from shared.events.intake import ContactRegistered, MessageAdded
from shared.mongo import Transaction
from shared.read_ahead import hold_erasure_checks, new_requests


def requests_read_ahead(*, keys: KeyStore) -> BatchPreparer:
    """For `record_request_received` and `record_message_added`."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        await hold_erasure_checks(events, tx)
        received = new_requests(events)
        added = [MessageAdded.from_event(e) for e in events if e.type == MessageAdded.event_type]
        await keys.prime(
            [r.content.data_subject_id for r in received]
            + [a.content.data_subject_id for a in added]
        )

    return prepare


def contacts_read_ahead(*, keys: KeyStore) -> BatchPreparer:
    """For `accounts.register_contact`."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        registered = [ContactRegistered.from_event(e) for e in events]
        await hold_all(tx, ERASED_PERSONS, [r.contact_id for r in registered])
        await keys.prime(r.details.data_subject_id for r in registered)

    return prepare
