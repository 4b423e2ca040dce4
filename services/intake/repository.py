"""intake's MongoDB repositories; each works inside one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.intake import representative_store
from services.intake.domain import Attachment, Contact, Message, SupportRequest
from services.intake.ports import Acknowledgement
from services.intake.representative_store import MongoRepresentatives
from shared import erasure_progress
from shared.crypto import SealedPersonalData
from shared.events.intake import ContactDetails
from shared.mongo import Document, Transaction, TransactionRunner
from shared.read_ahead import find_any
from shared.stores import MongoCollection, MongoStore, MongoUnitOfWork, document_of

CONTACTS = "contacts"
REQUESTS = "requests"
MESSAGES = "messages"
CHANNEL_ITEMS = "channel_items"
ACKNOWLEDGEMENTS = "acknowledgements"
RAW_MAILS = "raw_mails"
ATTACHMENTS = "attachments"


class MongoContacts(MongoCollection):
    collection_name = CONTACTS

    async def by_email(self, normalised_email: str) -> Contact | None:
        return _contact_or_none(await self._find_one({"email_normalised": normalised_email}))

    async def by_phone(self, phone_e164: str) -> Contact | None:
        return _contact_or_none(await self._find_one({"phone_e164": phone_e164}))

    async def get(self, contact_id: str) -> Contact | None:
        return _contact_or_none(await self._find_one({"_id": contact_id}))

    async def add(self, contact: Contact, *, email_key: str, phone_key: str | None) -> None:
        await self._insert(
            {
                "_id": contact.contact_id,
                "email_normalised": email_key,
                "phone_e164": phone_key,
                "organisation_ids": list(contact.organisation_ids),
                **contact.details.model_dump(mode="json"),
                **({"correspondent_only": True} if contact.correspondent_only else {}),
            }
        )

    async def announced(self, contact_id: str) -> None:
        """A correspondent who filed a request of their own is a requester from now on."""
        await self._collection.update_one(
            {"_id": contact_id}, {"$unset": {"correspondent_only": ""}}, session=self._session
        )

    async def set_phone(self, contact: Contact, *, phone_key: str) -> None:
        await self._set(
            {"_id": contact.contact_id}, {"phone": contact.details.phone, "phone_e164": phone_key}
        )

    async def retag(self, contact_id: str) -> None:
        """The customer organisations a contact's requests belong to, recomputed from them."""
        organisations = await self._database[REQUESTS].distinct(
            "organisation_id", {"requester_id": contact_id}, session=self._session
        )
        await self._set(
            {"_id": contact_id}, {"organisation_ids": sorted(o for o in organisations if o)}
        )

    async def erased_at(self, marks: list[str]) -> datetime | None:
        """When a contact with any of these addresses was last erased (read ahead in a batch
        of calls: `consumers.phone_batch_preparer`)."""
        if not marks:
            return None
        erased = self._database[erasure_progress.ERASED_ADDRESSES]
        found = await find_any(erased, [{"_id": mark} for mark in marks], session=self._session)
        times = [f["erased_at"] for f in found if isinstance(f.get("erased_at"), datetime)]
        return max(times, default=None)

    async def replace_details(
        self, contact: Contact, *, email_key: str | None, phone_key: str | None, at: datetime
    ) -> None:
        """Overwrite the P2 fields with the contact's details as the person stated them `at`
        (rectification: a customer's statement made before it no longer applies; one made
        after it, taken already because this was read late, stands but for the email, which a
        customer never states); email kept when email_key is None."""
        values: Document = {**contact.details.model_dump(mode="json"), "phone_e164": phone_key}
        email: Document = {}
        if email_key is None:
            values.pop("email")
        else:
            values["email_normalised"] = email_key
            email = {"email": values["email"], "email_normalised": email_key}
        done = await self._collection.update_one(
            {"_id": contact.contact_id, "stated_at": {"$not": {"$gt": at}}},
            {"$set": values, "$max": {"stated_at": at}},
            session=self._session,
        )
        if not done.matched_count and email:  # a later statement stands
            await self._set({"_id": contact.contact_id}, email)

    async def follow_statement(
        self, contact: Contact, *, phone_key: str | None, at: datetime
    ) -> None:
        """Take the contact's details (but its email) as the customer stated them `at`, unless
        a later statement was taken already (two customers' CRMs, or one read late)."""
        values: Document = {**contact.details.model_dump(mode="json"), "phone_e164": phone_key}
        values.pop("email")
        await self._set(
            {"_id": contact.contact_id, "stated_at": {"$not": {"$gt": at}}},
            {**values, "stated_at": at},
        )


class MongoRequests(MongoCollection):
    collection_name = REQUESTS

    async def add(self, request: SupportRequest) -> None:
        await self._insert(_request_document(request))

    async def get(self, request_id: str) -> SupportRequest | None:
        return _request_or_none(await self._find_one({"_id": request_id}))

    async def by_reference(self, reference: str) -> SupportRequest | None:
        return _request_or_none(await self._find_one({"reference": reference}))

    async def decided(self, request_id: str) -> None:
        """access decided on receipt that the request is nobody's (version 1)."""
        await self._collection.update_one(
            {"_id": request_id, "organisation_version": 0},
            {"$set": {"organisation_version": 1}},
            session=self._session,
        )

    async def save(self, request: SupportRequest) -> None:
        document = _request_document(request)
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, session=self._session
        )


class MongoMessages(MongoCollection):
    collection_name = MESSAGES

    async def add(self, message: Message) -> None:
        document = document_of(message)
        document["_id"] = document.pop("message_id")
        if message.correspondent_id is not None:  # sparse: found by it, and only it has one
            document["correspondent_id"] = message.correspondent_id
        await self._insert(document)


class MongoChannelItems(MongoCollection):
    collection_name = CHANNEL_ITEMS

    async def request_for(self, key: str) -> str | None:
        found = await self._find_one({"_id": key})
        return None if found is None else str(found["request_id"])

    async def remember(
        self, key: str, *, request_id: str, requester_id: str, organisation_id: str | None
    ) -> None:
        await self._collection.update_one(
            {"_id": key},
            {
                "$setOnInsert": {
                    "request_id": request_id,
                    "requester_id": requester_id,
                    "organisation_id": organisation_id,
                }
            },
            upsert=True,
            session=self._session,
        )


class MongoAcknowledgements(MongoCollection):
    collection_name = ACKNOWLEDGEMENTS

    async def queue(self, acknowledgement: Acknowledgement) -> None:
        document = document_of(acknowledgement)
        document["_id"] = document["request_id"]
        document["sent_at"] = None
        await self._insert(document)


REQUEST_COPIES = (MESSAGES, CHANNEL_ITEMS, ACKNOWLEDGEMENTS, RAW_MAILS, ATTACHMENTS)
"""Where intake keeps copies of a request's parts, each tagged with its request's organisation."""


class MongoAttachments(MongoCollection):
    """Kept files: their content sealed with a key of its own, by attachment id."""

    collection_name = ATTACHMENTS

    async def keep(
        self, attachment: Attachment, *, message: Message, content: SealedPersonalData
    ) -> None:
        await self._insert(
            {
                "_id": attachment.attachment_id,
                "request_id": message.request_id,
                "message_id": message.message_id,
                "requester_id": message.requester_id,
                "organisation_id": message.organisation_id,
                "filename": attachment.filename,
                "media_type": attachment.content_type,
                "size": attachment.size,
                "added_at": message.added_at,
                "content": content.model_dump(),
            }
        )

    async def get(self, attachment_id: str) -> Document | None:
        return await self._find_one({"_id": attachment_id})

    async def of_requester(self, requester_id: str) -> list[Document]:
        cursor = self._collection.find({"requester_id": requester_id}, session=self._session)
        return [found async for found in cursor]


class MongoRawMails(MongoCollection):
    """What became of each received mail, and its raw bytes while its request is kept."""

    collection_name = RAW_MAILS

    async def keep(self, mail: Document) -> None:
        await self._insert(mail)


class MongoRequestCopies(MongoStore):
    """The parts of requests kept beside them: messages, channel items, acknowledgements, mails."""

    async def tag_organisation(self, request_id: str, organisation_id: str | None) -> None:
        for name in REQUEST_COPIES:
            await self._database[name].update_many(
                {"request_id": request_id},
                {"$set": {"organisation_id": organisation_id}},
                session=self._session,
            )


class MongoIntakeUnitOfWork(MongoUnitOfWork):
    """intake's unit of work: contacts, requests, messages and outbox in one transaction."""

    tx: Transaction

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction) -> None:
        super().__init__(database, tx)
        self.contacts = MongoContacts(database, tx)
        self.requests = MongoRequests(database, tx)
        self.messages = MongoMessages(database, tx)
        self.channel_items = MongoChannelItems(database, tx)
        self.acknowledgements = MongoAcknowledgements(database, tx)
        self.raw_mails = MongoRawMails(database, tx)
        self.attachments = MongoAttachments(database, tx)
        self.copies = MongoRequestCopies(database, tx)
        self.representatives = MongoRepresentatives(database, tx)


async def create_indexes(runner: TransactionRunner) -> None:
    database = runner.database
    await erasure_progress.create_indexes(database)
    await database[CONTACTS].create_index("email_normalised", unique=True)
    await database[CONTACTS].create_index("phone_e164")
    await database[CONTACTS].create_index("organisation_ids")
    await database[REQUESTS].create_index([("requester_id", ASCENDING)])
    await database[REQUESTS].create_index("organisation_id")
    await database[REQUESTS].create_index("reference", unique=True)
    await database[MESSAGES].create_index([("request_id", ASCENDING), ("added_at", ASCENDING)])
    for name in REQUEST_COPIES:  # erasure selects copies by organisation or by requester
        await database[name].create_index("organisation_id")
        await database[name].create_index("requester_id")
    await database[CHANNEL_ITEMS].create_index("request_id")
    await database[ACKNOWLEDGEMENTS].create_index(
        [("sent_at", ASCENDING), ("queued_at", ASCENDING)]
    )
    await database[RAW_MAILS].create_index("request_id")
    for name in (MESSAGES, RAW_MAILS):  # a correspondent's, for their export and erasure
        await database[name].create_index("correspondent_id", sparse=True)
    await database[ATTACHMENTS].create_index("request_id")
    await representative_store.create_indexes(runner)


def _request_document(request: SupportRequest) -> Document:
    document = document_of(request)
    document["_id"] = document.pop("request_id")
    return document


def _request_or_none(document: Document | None) -> SupportRequest | None:
    if document is None:
        return None
    fields: dict[str, Any] = {k: v for k, v in document.items() if k != "_id"}
    return SupportRequest(request_id=document["_id"], **fields)


def _contact_or_none(document: Document | None) -> Contact | None:
    if document is None:
        return None
    details = ContactDetails.model_validate(
        {name: document.get(name) for name in ContactDetails.model_fields}
    )
    return Contact(
        contact_id=document["_id"],
        details=details,
        organisation_ids=tuple(document.get("organisation_ids") or ()),
        correspondent_only=bool(document.get("correspondent_only")),
    )


def attachments_from(documents: list[Document]) -> tuple[Attachment, ...]:
    return tuple(Attachment(**document) for document in documents)
