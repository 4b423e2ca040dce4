"""intake's MongoDB repositories; each works inside one transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import asdict

from pymongo import ASCENDING

from services.intake.domain import Contact, SupportRequest, normalise_email
from shared.events import CloudEvent
from shared.events.intake import ContactDetails
from shared.mongo import Document, Transaction, TransactionRunner
from shared.outbox import add_to_outbox

CONTACTS = "contacts"
REQUESTS = "requests"


class MongoContacts:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._collection = tx.database[CONTACTS]

    async def by_email(self, normalised_email: str) -> Contact | None:
        found = await self._collection.find_one(
            {"email_normalised": normalised_email}, session=self._tx.session
        )
        return None if found is None else _contact_from(found)

    async def add(self, contact: Contact) -> None:
        await self._collection.insert_one(
            {
                "_id": contact.contact_id,
                "email_normalised": normalise_email(str(contact.details.email)),
                "organisation_id": contact.organisation_id,
                **contact.details.model_dump(),
            },
            session=self._tx.session,
        )


class MongoRequests:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self._collection = tx.database[REQUESTS]

    async def add(self, request: SupportRequest) -> None:
        document = asdict(request)
        document["_id"] = document.pop("request_id")
        await self._collection.insert_one(document, session=self._tx.session)


class MongoIntakeUnitOfWork:
    """intake's unit of work: contacts, requests and outbox in one transaction."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx
        self.contacts = MongoContacts(tx)
        self.requests = MongoRequests(tx)

    async def publish(self, topic: str, event: CloudEvent) -> None:
        await add_to_outbox(self._tx, topic=topic, event=event)


def unit_of_work_factory(
    runner: TransactionRunner, after_commit: Callable[[], None]
) -> Callable[[], AbstractAsyncContextManager[MongoIntakeUnitOfWork]]:
    @asynccontextmanager
    async def unit_of_work() -> AsyncIterator[MongoIntakeUnitOfWork]:
        async with runner.transaction() as tx:
            yield MongoIntakeUnitOfWork(tx)
        after_commit()

    return unit_of_work


async def create_indexes(runner: TransactionRunner) -> None:
    await runner.database[CONTACTS].create_index("email_normalised", unique=True)
    await runner.database[REQUESTS].create_index([("requester_id", ASCENDING)])
    await runner.database[REQUESTS].create_index("reference", unique=True)


def _contact_from(document: Document) -> Contact:
    details = ContactDetails.model_validate(
        {name: document.get(name) for name in ContactDetails.model_fields}
    )
    return Contact(
        contact_id=document["_id"], details=details, organisation_id=document.get("organisation_id")
    )
