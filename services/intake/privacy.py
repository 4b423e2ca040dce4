"""intake's part in erasure and export (P11): delete what it holds in scope, or hand over a
sealed copy of what it holds on a person."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

from services.intake.domain import Contact
from services.intake.handlers import Matching
from services.intake.repository import (
    ACKNOWLEDGEMENTS,
    CHANNEL_ITEMS,
    CONTACTS,
    MESSAGES,
    RAW_MAILS,
    REQUESTS,
)
from services.intake.smtp import mail_key_id
from shared import topics
from shared.clock import Clock
from shared.consumer import EventHandler
from shared.crypto import KeyStore, seal, unseal
from shared.erasure_progress import ErasureProgress
from shared.events import CloudEvent, EventSchemaError
from shared.events.intake import ContactDetails
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
    RectificationRequested,
)
from shared.mongo import IN_CHUNK, Document, Transaction, delete_in, delete_matching
from shared.outbox import add_to_outbox

SOURCE = "/support/intake/privacy"


class IntakeExport(BaseModel):
    """Everything intake holds on one person: contact record, requests, messages, mails."""

    model_config = ConfigDict(frozen=True)

    contact: dict[str, Any] | None
    requests: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    mails: list[dict[str, Any]]


def _scopes(erasure: ErasureRequested) -> tuple[Document, Document | None]:
    """(requests in scope, contacts in scope) as MongoDB filters."""
    scope = erasure.scope
    keep = {"$nin": list(scope.keep_request_ids)}
    if scope.kind == "person":
        return {"requester_id": scope.id, "_id": keep}, {"_id": scope.id}
    if scope.kind == "organisation":
        return {"organisation_id": scope.id, "_id": keep}, {"organisation_id": scope.id}
    return {"_id": scope.id}, None


def erasure_handler(*, keys: KeyStore, clock: Clock) -> EventHandler:
    """Deletes intake's copies in scope and stages an ErasureCompleted in the same transaction."""

    async def on_erasure(event: CloudEvent, tx: Transaction) -> None:
        erasure = ErasureRequested.from_event(event)
        database, session = tx.database, tx.session
        request_filter, contact_filter = _scopes(erasure)
        requests = (
            await database[REQUESTS]
            .find(request_filter, {"requester_id": 1}, session=session)
            .to_list()
        )
        request_ids = [document["_id"] for document in requests]
        # deleted outside this transaction, so noted as it goes: a redo reports the whole
        progress = ErasureProgress(database, erasure.erasure_id, now=clock.now())
        await progress.subjects_found(str(document["requester_id"]) for document in requests)
        mail_ids = []
        for start in range(0, len(request_ids), IN_CHUNK):
            in_scope = {"request_id": {"$in": request_ids[start : start + IN_CHUNK]}}
            mails = database[RAW_MAILS].find(in_scope, {"_id": 1}, session=session)
            mail_ids += [mail["_id"] for mail in await mails.to_list()]
        await keys.shred_many([mail_key_id(str(mail_id)) for mail_id in mail_ids])
        await progress.deleted(
            "messages", await delete_in(database[MESSAGES], "request_id", request_ids)
        )
        await progress.deleted("raw_mails", await delete_in(database[RAW_MAILS], "_id", mail_ids))
        await delete_in(database[CHANNEL_ITEMS], "request_id", request_ids)
        await delete_in(database[ACKNOWLEDGEMENTS], "_id", request_ids)
        await progress.deleted(
            "requests", await delete_matching(database[REQUESTS], request_filter)
        )
        counts, subjects = await progress.so_far()
        counts["contacts"] = 0
        if contact_filter is not None:
            contacts = (
                await database[CONTACTS].find(contact_filter, {"_id": 1}, session=session).to_list()
            )
            subjects.update(str(contact["_id"]) for contact in contacts)
            counts["contacts"] = (
                await database[CONTACTS].delete_many(contact_filter, session=session)
            ).deleted_count
        completed = ErasureCompleted(
            erasure_id=erasure.erasure_id,
            participant="intake",
            completed_at=clock.now(),
            counts=counts,
            data_subject_ids=tuple(sorted(subjects)),
        )
        await add_to_outbox(
            tx,
            topic=topics.PRIVACY_ERASURE,
            event=CloudEvent.of(
                source=SOURCE,
                type=ErasureCompleted.event_type,
                subject=erasure.erasure_id,
                time=completed.completed_at,
                data=completed,
            ),
        )

    return on_erasure


def export_handler(*, keys: KeyStore, clock: Clock) -> EventHandler:
    """Publishes what intake holds on a person, sealed with the person's key."""

    async def on_export(event: CloudEvent, tx: Transaction) -> None:
        export = ExportRequested.from_event(event)
        records = await holdings_of(export.data_subject_id, tx=tx)
        contributed = ExportContributed(
            export_id=export.export_id,
            participant="intake",
            contributed_at=clock.now(),
            records=await seal(records, data_subject_id=export.data_subject_id, keys=keys),
        )
        await add_to_outbox(
            tx,
            topic=topics.PRIVACY_DSR,
            event=CloudEvent.of(
                source=SOURCE,
                type=ExportContributed.event_type,
                subject=export.export_id,
                time=contributed.contributed_at,
                data=contributed,
            ),
        )

    return on_export


async def holdings_of(data_subject_id: str, *, tx: Transaction) -> IntakeExport:
    """What intake holds on one person, JSON-serialisable."""
    database, session = tx.database, tx.session
    contact = await database[CONTACTS].find_one({"_id": data_subject_id}, session=session)
    requests = (
        await database[REQUESTS].find({"requester_id": data_subject_id}, session=session).to_list()
    )
    request_ids = [request["_id"] for request in requests]
    messages = (
        await database[MESSAGES]
        .find({"request_id": {"$in": request_ids}}, session=session)
        .to_list()
    )
    mails = (
        await database[RAW_MAILS]
        .find({"request_id": {"$in": request_ids}}, session=session)
        .to_list()
    )
    for mail in mails:
        raw = mail.pop("raw", None)
        mail["raw_base64"] = base64.b64encode(raw).decode() if raw else None
    return IntakeExport(contact=contact, requests=requests, messages=messages, mails=mails)


Rectified = Literal["rectified", "email_kept", "unknown_contact"]


class RectifiableContacts(Protocol):
    async def get(self, contact_id: str) -> Contact | None: ...
    async def by_email(self, normalised_email: str) -> Contact | None: ...
    async def replace_details(
        self, contact: Contact, *, email_key: str | None, phone_key: str | None
    ) -> None: ...


async def rectify_contact(
    *,
    contact_id: str,
    details: ContactDetails,
    contacts: RectifiableContacts,
    matching: Matching,
) -> Rectified:
    """Replace a contact's P2 fields; an email another contact matches on is not taken over."""
    contact = await contacts.get(contact_id)
    if contact is None:
        return "unknown_contact"
    wanted = matching.email_key(str(details.email))
    email_key: str | None = wanted
    holder = await contacts.by_email(wanted)
    if holder is not None and holder.contact_id != contact_id:
        details = details.model_copy(update={"email": contact.details.email})
        email_key = None
    await contacts.replace_details(
        replace(contact, details=details),
        email_key=email_key,
        phone_key=matching.phone_key(details.phone),
    )
    return "rectified" if email_key is not None else "email_kept"


def rectification_handler(
    *,
    keys: KeyStore,
    matching: Matching,
    contacts: Callable[[Transaction], RectifiableContacts],
) -> EventHandler:
    """Applies corrected contact details in the consumer's transaction; erased persons stay so."""

    async def on_rectification(event: CloudEvent, tx: Transaction) -> None:
        rectification = RectificationRequested.from_event(event)
        if rectification.details.data_subject_id != rectification.data_subject_id:
            raise EventSchemaError("details: must be sealed for data_subject_id")
        details = await unseal(rectification.details, ContactDetails, keys=keys)
        if details is None:
            return
        await rectify_contact(
            contact_id=rectification.data_subject_id,
            details=details,
            contacts=contacts(tx),
            matching=matching,
        )

    return on_rectification
