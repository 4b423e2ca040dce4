"""What a correspondent wrote on other people's requests (P11): a contact of ours, not the
requester, who wrote on a request's thread by mail (copied in, or replying). Their messages and
raw mails carry a sparse `correspondent_id`; each message is sealed in events with a key of its
own (`Message.sealed_under`). Their own erasure takes them, with their files and keys, except
what stays with the request (`shared.correspondence.kept_with_another`); their export holds
them (`services.intake.export.holdings_of`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from pymongo.asynchronous.database import AsyncDatabase

from services.intake.domain import attachment_key_id, message_key_id
from services.intake.repository import ATTACHMENTS, CONTACTS, MESSAGES, RAW_MAILS
from services.intake.smtp import mail_key_id
from shared.correspondence import kept_records, kept_with_another
from shared.crypto import KeyStore
from shared.events.privacy import ErasureScope, KeptRecords
from shared.holdings import ErasureNotes, person_ids
from shared.mongo import Document, delete_in


def written_by(persons: Sequence[str], scope: ErasureScope) -> Document:
    """What these persons wrote on other people's requests (their messages and raw mails) that
    goes with them (their own erasure, or their last request, P8): not on a customer's
    request, which stays in the organisation's records (P7), nor on a request the scope keeps,
    nor on a held person's."""
    return {
        "correspondent_id": {"$in": list(persons)},
        "organisation_id": None,
        "request_id": {"$nin": list(scope.keep_request_ids)},
        "requester_id": {"$nin": list(scope.keep_data_subject_ids)},
    }


async def delete_written(
    database: AsyncDatabase[Document], written: Document, *, keys: KeyStore, notes: ErasureNotes
) -> None:
    """A person's messages and raw mails on others' requests, with their files and keys."""
    messages = database[MESSAGES].find(written, {"_id": 1, "request_id": 1})
    found = {str(m["_id"]): str(m["request_id"]) async for m in messages}
    if not found:  # its mail and files are deleted before it: nothing else is left either
        return
    mails = [str(m["_id"]) async for m in database[RAW_MAILS].find(written, {"_id": 1})]
    files = database[ATTACHMENTS].find(
        {"request_id": {"$in": sorted(set(found.values()))}, "message_id": {"$in": list(found)}},
        {"_id": 1},
    )
    file_ids = [str(file["_id"]) async for file in files]
    await keys.shred_many(
        [message_key_id(m) for m in found]
        + [mail_key_id(m) for m in mails]
        + [attachment_key_id(f) for f in file_ids]
    )
    for name, ids in ((ATTACHMENTS, file_ids), (RAW_MAILS, mails), (MESSAGES, list(found))):
        if ids:
            await notes.deleted(name, await delete_in(database[name], "_id", ids))


async def kept_with_others(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> tuple[KeptRecords, ...]:
    """What the person wrote on others' requests that stays with them, by ground."""
    if not persons:
        return ()
    written = database[MESSAGES].find(
        {"correspondent_id": {"$in": list(persons)}},
        {"request_id": 1, "requester_id": 1, "organisation_id": 1},
    )
    grounds = [kept_with_another(scope, m["request_id"], m) async for m in written]
    return kept_records("messages", grounds)


async def only_correspondents(
    database: AsyncDatabase[Document], writers: Collection[str]
) -> list[str]:
    """Those of these writers who filed no request of their own: a purge of the requests they
    wrote on may take the last of what they wrote (P8)."""
    if not writers:
        return []
    only = database[CONTACTS].distinct(
        "_id", {"_id": {"$in": sorted(writers)}, "correspondent_only": True}
    )
    return [str(contact_id) for contact_id in await only]


async def still_writing(
    database: AsyncDatabase[Document], only: Sequence[str], scope: ErasureScope
) -> set[str]:
    """Which of these correspondent-only contacts still have writing on a request that stays:
    their contact stays with it until the last goes (their own erasure takes it at once, and
    what stays with others is said by `kept_with_others`)."""
    others = sorted(set(only) - set(person_ids(scope) if scope.kind == "person" else ()))
    if not others:
        return set()
    writing = await database[MESSAGES].distinct(
        "correspondent_id", {"correspondent_id": {"$in": others}}
    )
    return {str(person) for person in writing}
