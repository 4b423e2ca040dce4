"""What surveys' consumer of registered contacts reads ahead for a batch, so the handler's
per-event look-ups are answered from memory: the erasure checks (stamped together, held until
the batch commits) and the data keys that open the sealed details."""

from __future__ import annotations

from services.surveys.domain import SurveyKeys
from services.surveys.repository import ERASED
from shared.consumer import BatchPreparer
from shared.crypto import KeyStore
from shared.erasure_progress import hold_all
from shared.events import CloudEvent
from shared.events.intake import ContactRegistered
from shared.mongo import Transaction


def contacts_read_ahead(*, keys: KeyStore, secrets: SurveyKeys) -> BatchPreparer:
    """For `handlers.register_contact`."""

    async def prepare(events: list[CloudEvent], tx: Transaction) -> None:
        registered = [ContactRegistered.from_event(e) for e in events]
        await hold_all(tx, ERASED, [secrets.erased_key(r.contact_id) for r in registered])
        await keys.prime(r.details.data_subject_id for r in registered)

    return prepare
