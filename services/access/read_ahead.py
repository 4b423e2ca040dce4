"""What access's batch consumers read ahead for a batch of intake's events, so the handlers'
per-event look-ups are answered from memory: the erasure checks (stamped together, held until
the batch commits), the data keys that open the sealed content, the requesters' memberships
(their latches written together) and the accounts of registered contacts."""

from __future__ import annotations

from services.access.account_store import ACCOUNTS
from services.access.directory import REPRESENTATIVES, MongoDirectory
from services.access.domain import normalise_email
from services.access.handlers import membership_keys
from shared.consumer import BatchPreparer
from shared.crypto import KeyStore, unseal
from shared.erasure_progress import ERASED_PERSONS, hold_all
from shared.events import CloudEvent
from shared.events.intake import ContactDetails, ContactRegistered, MessageAdded, RequestContent
from shared.mongo import Transaction
from shared.read_ahead import hold_erasure_checks, new_requests, prime


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
        requesters: list[tuple[str, str | None]] = []
        for request in received:
            content = await unseal(request.content, RequestContent, keys=keys)
            email = normalise_email(str(content.requester.email)) if content else None
            requesters.append((request.requester_id, email))
        # `handlers._organisation_of_representative`, for the whole batch
        await MongoDirectory(tx.database, tx).serialise(
            [key for contact, email in requesters for key in membership_keys(contact, email)]
        )
        await prime(tx, REPRESENTATIVES, "contact_id", [contact for contact, _ in requesters])
        await prime(tx, REPRESENTATIVES, "email_normalised", [e for _, e in requesters if e])

    return prepare


def contacts_read_ahead(*, keys: KeyStore) -> BatchPreparer:
    """For `accounts.register_contact`: the accounts it looks up by email and by contact."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        registered = [
            ContactRegistered.from_event(e)
            for e in events
            if e.type == ContactRegistered.event_type  # not a correction
        ]
        await hold_all(tx, ERASED_PERSONS, [r.contact_id for r in registered])
        await keys.prime(r.details.data_subject_id for r in registered)
        emails = []
        for contact in registered:
            details = await unseal(contact.details, ContactDetails, keys=keys)
            if details is not None:
                emails.append(normalise_email(str(details.email)))
        await prime(tx, ACCOUNTS, "email_normalised", emails)
        await prime(tx, ACCOUNTS, "contact_ids", [r.contact_id for r in registered])

    return prepare
