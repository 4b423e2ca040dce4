"""What intake holds on one person, for their export (P11): contact, requests, messages, raw
mails, files and what the CRM named them as."""

from __future__ import annotations

import base64
from typing import Any

from pydantic import BaseModel, ConfigDict
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from services.intake.repository import ATTACHMENTS, CONTACTS, MESSAGES, RAW_MAILS, REQUESTS
from services.intake.representative_store import REPRESENTATIVES
from shared.crypto import KeyStore, SealedPersonalData, unseal
from shared.events.intake import AttachmentContent
from shared.mongo import Document


class IntakeExport(BaseModel):
    """Everything intake holds on one person: contact record, requests, messages, mails."""

    model_config = ConfigDict(frozen=True)

    contact: dict[str, Any] | None
    requests: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    mails: list[dict[str, Any]]
    attachments: list[dict[str, Any]] = []
    representative_of: list[dict[str, Any]] = []
    """As a customer's representative the CRM named: the organisation and the phone number
    a call is matched by."""


async def holdings_of(
    data_subject_id: str,
    *,
    database: AsyncDatabase[Document],
    session: AsyncClientSession | None = None,
    keys: KeyStore | None = None,
) -> IntakeExport:
    """What intake holds on one person, JSON-serialisable: requests with their lawful basis
    and customer organisation (P5), messages (theirs, and on their requests), their own raw
    mails, and the contact record."""
    contact = await database[CONTACTS].find_one({"_id": data_subject_id}, session=session)
    requests = (
        await database[REQUESTS].find({"requester_id": data_subject_id}, session=session).to_list()
    )
    request_ids = [request["_id"] for request in requests]
    messages: list[Document] = []
    mails: list[Document] = []
    mine: Document = {"correspondent_id": data_subject_id}
    for name, found, on_theirs in (
        (MESSAGES, messages, {"request_id": {"$in": request_ids}}),
        # a mail someone else wrote on their request is that person's (its sender's name and
        # address): theirs to have, not the requester's; its text is among the messages
        (RAW_MAILS, mails, {"request_id": {"$in": request_ids}, "correspondent_id": None}),
    ):
        # on their requests, and what they wrote on others' (as a correspondent)
        for query in (on_theirs, mine):
            found += await database[name].find(query, session=session).to_list()
    for mail in mails:
        raw = mail.pop("raw", None)
        mail["raw_base64"] = base64.b64encode(raw).decode() if raw else None
    files = (
        await database[ATTACHMENTS]
        .find({"request_id": {"$in": request_ids}}, session=session)
        .to_list()
    )
    for file in files:
        sealed = SealedPersonalData.model_validate(file.pop("content"))
        opened = await unseal(sealed, AttachmentContent, keys=keys) if keys else None
        file["content_base64"] = opened.content_base64 if opened else None
    named = database[REPRESENTATIVES].find(
        {"contact_id": data_subject_id, "details": {"$ne": None}},
        {"_id": 0, "organisation_id": 1, "phone_e164": 1, "at": 1},
        session=session,
    )
    return IntakeExport(
        contact=contact,
        requests=requests,
        messages=messages,
        mails=mails,
        attachments=files,
        representative_of=await named.to_list(),
    )
