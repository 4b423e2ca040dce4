"""What surveys' consumer of registered contacts reads ahead for a batch, so the handler's
per-event look-ups are answered from memory: the erasure checks (stamped together, held until
the batch commits), the data keys that open the sealed details, and the person's links,
contact records, opt-outs, waiting invitations and requests (the organisations they are
tagged with)."""

from __future__ import annotations

from services.surveys.domain import SurveyKeys
from services.surveys.repository import CANDIDATES, CONTACTS, ERASED, INVITATIONS, OPT_OUTS
from shared.consumer import BatchPreparer
from shared.crypto import KeyStore, unseal
from shared.erasure_progress import hold_all
from shared.events import CloudEvent
from shared.events.intake import ContactDetails, ContactRegistered
from shared.mongo import Transaction
from shared.person_links import PERSON_LINKS
from shared.read_ahead import hold_erasure_checks, hold_purge_checks, prime


async def requests_read_ahead(events: list[CloudEvent], tx: Transaction) -> None:
    """For the consumer of intake's request events: each new or resolved request's erasure
    check and each decision's purge check (`handlers.watch_new_request`,
    `handlers.follow_status`, `handlers.follow_organisation`)."""
    await hold_erasure_checks(events, tx, resolutions=True)
    await hold_purge_checks(events, tx)


def contacts_read_ahead(*, keys: KeyStore, secrets: SurveyKeys) -> BatchPreparer:
    """For `handlers.register_contact`."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        registered = [
            ContactRegistered.from_event(e)
            for e in events
            if e.type == ContactRegistered.event_type  # not a correction
        ]
        subjects = [r.contact_id for r in registered]
        await hold_all(tx, ERASED, [secrets.erased_key(subject) for subject in subjects])
        await keys.prime(r.details.data_subject_id for r in registered)
        opt_out_keys = []
        for contact in registered:
            details = await unseal(contact.details, ContactDetails, keys=keys)
            if details is not None:
                opt_out_keys.append(secrets.opt_out_key(str(details.email)))
        await prime(tx, PERSON_LINKS, "contact_ids", subjects)
        await prime(tx, CONTACTS, "_id", subjects)
        await prime(tx, OPT_OUTS, "_id", opt_out_keys)
        await prime(tx, INVITATIONS, "requester_id", subjects)
        await prime(tx, CANDIDATES, "requester_id", subjects)

    return prepare
