"""A batch's preparer reads ahead what its handlers look up, on the real store: after it, the
handlers of a batch of new people and requests send nothing until the batch's writes go out
together, and what they decide from memory is what they decide from the store (an existing
account linked, a representative's organisation found, a running clock kept, a contact tagged
with its requests' organisation)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from services.access import accounts, handlers
from services.access import read_ahead as access_read_ahead
from services.access.accounts import AccountPolicy
from services.access.directory import LATCH_COUNT, LATCHES
from services.access.unit_of_work import MongoAccessUnitOfWork
from services.retention import handlers as retention_handlers
from services.retention.read_ahead import clocks_read_ahead
from services.retention.unit_of_work import MongoRetentionUnitOfWork
from services.surveys import handlers as survey_handlers
from services.surveys import read_ahead as surveys_read_ahead
from services.surveys.domain import SurveyKeys, SurveyPolicy
from services.surveys.repository import MongoSurveysUnitOfWork
from shared.clock import FixedClock
from shared.consumer import BatchPreparer
from shared.crypto import KeyWrapper, seal
from shared.events import CloudEvent
from shared.events.base import EventData
from shared.events.intake import ContactDetails, ContactRegistered, RequestContent, RequestReceived
from shared.keystore import MongoKeyStore
from shared.mongo import Transaction, TransactionRunner
from shared.settings import ServiceSettings
from shared.write_behind import write_behind
from tests.support.commands import CommandNames

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
Handle = Callable[[CloudEvent, Transaction], Awaitable[None]]


class Store:
    """A database of its own, a key store, and the names of the commands sent to them."""

    def __init__(self, client: AsyncMongoClient[dict[str, Any]], names: list[str]) -> None:
        self.runner = TransactionRunner(client, f"readahead_{uuid4().hex[:8]}")
        self.database = self.runner.database
        self.names = names
        self.keys: MongoKeyStore

    async def batch(
        self, events: list[CloudEvent], prepare: BatchPreparer, handle: Handle
    ) -> list[str]:
        """The batch as a consumer runs it; the commands its handlers sent after `prepare`."""
        async with self.runner.transaction() as tx:
            seen, held = write_behind(tx)
            async with self.keys.batch(held):
                await prepare(events, seen)
                self.names.clear()
                for event in events:
                    await handle(event, seen)
                sent = list(self.names)
            await held.flush()
        return sent


@pytest.fixture
async def store(settings: ServiceSettings) -> AsyncIterator[Store]:
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    store = Store(client, commands.names)
    store.keys = MongoKeyStore(
        client,
        database_name=settings.keystore_database_name,
        wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
    )
    yield store
    await client.drop_database(store.database.name)
    await client.close()


def event(data: EventData, subject: str) -> CloudEvent:
    return CloudEvent.of(source="/tests", type=data.event_type, subject=subject, time=AT, data=data)


async def registered(store: Store, contact_id: str, email: str) -> CloudEvent:
    details = ContactDetails(full_name="Batch Person", email=email)
    sealed = await seal(details, data_subject_id=contact_id, keys=store.keys)
    return event(
        ContactRegistered(contact_id=contact_id, registered_at=AT, details=sealed), contact_id
    )


async def received(store: Store, request_id: str, requester_id: str, email: str) -> CloudEvent:
    content = RequestContent(
        requester=ContactDetails(full_name="Batch Person", email=email), subject="s", body="b"
    )
    data = RequestReceived(
        request_id=request_id,
        reference=f"SR-{request_id[:8].upper()}",
        channel="web",
        requester_id=requester_id,
        lawful_basis="legitimate_interest",
        received_at=AT,
        content=await seal(content, data_subject_id=requester_id, keys=store.keys),
    )
    return event(data, request_id)


async def test_access_registers_a_batch_of_contacts_from_what_it_read_ahead(store: Store) -> None:
    known = "known@example.org"
    await store.database["accounts"].insert_one(
        {"_id": "acc-1", "email_normalised": known, "contact_ids": ["old-contact"]}
    )
    new = [str(uuid4()) for _ in range(3)]
    events = [await registered(store, c, f"p.{c[:8]}@example.org") for c in new]
    events.append(await registered(store, "new-contact", known))
    policy = AccountPolicy(
        set_password_url="http://portal/password",
        link_lifetime=timedelta(hours=24),
        token_lifetime=timedelta(hours=1),
        login_window=timedelta(minutes=15),
        failures_per_account=5,
        failures_per_client=20,
    )

    async def handle(e: CloudEvent, tx: Transaction) -> None:
        uow = MongoAccessUnitOfWork(tx.database, tx)
        await accounts.register_contact(
            e, uow=uow, keys=store.keys, policy=policy, clock=FixedClock(AT)
        )

    prepare = access_read_ahead.contacts_read_ahead(keys=store.keys)
    sent = await store.batch(events, prepare, handle)
    # only the known person's account is written at once (a link is not held); no look-ups
    assert "find" not in sent and "findAndModify" not in sent
    stored = {d["_id"]: d async for d in store.database["accounts"].find()}
    assert stored["acc-1"]["contact_ids"] == ["old-contact", "new-contact"]
    assert {c: stored[c]["contact_ids"] for c in new} == {c: [c] for c in new}


async def test_access_decides_a_batch_of_requests_organisations_from_what_it_read_ahead(
    store: Store,
) -> None:
    await store.database["representatives"].insert_one(
        {
            "_id": "org-1:rep-contact",
            "organisation_id": "org-1",
            "contact_id": "rep-contact",
            "email_normalised": "rep@example.org",
            "member": True,
            "member_at": AT - timedelta(days=30),
            "member_since": AT - timedelta(days=30),
            "official": False,
            "official_at": None,
        }
    )
    await store.database[LATCHES].insert_many([{"_id": n} for n in range(LATCH_COUNT)])
    requests = {str(uuid4()): (str(uuid4()), f"p{n}@example.org") for n in range(3)}
    requests["from-rep"] = ("another-contact-of-rep", "rep@example.org")  # by email
    events = [await received(store, r, c, e) for r, (c, e) in requests.items()]

    async def handle(e: CloudEvent, tx: Transaction) -> None:
        uow = MongoAccessUnitOfWork(tx.database, tx)
        await handlers.record_request_received(e, uow=uow, keys=store.keys)

    prepare = access_read_ahead.requests_read_ahead(keys=store.keys)
    sent = await store.batch(events, prepare, handle)
    # the erasure checks, keys, latches and memberships were read ahead; the views go in one
    # insert, and the decisions on arrival (one per request) retag no grant: a request just
    # read has none
    assert sent == []
    views = {d["_id"]: d async for d in store.database["request_views"].find()}
    assert views["from-rep"]["organisation_id"] == "org-1"
    assert [views[r]["organisation_id"] for r in requests if r != "from-rep"] == [None] * 3


async def test_retention_starts_a_batch_of_clocks_from_what_it_read_ahead(store: Store) -> None:
    running = await received(store, "already-running", "someone", "x@example.org")
    fresh = [await received(store, str(uuid4()), str(uuid4()), "y@example.org") for _ in range(3)]

    async def handle(e: CloudEvent, tx: Transaction) -> None:
        uow = MongoRetentionUnitOfWork(tx.database, tx)
        await retention_handlers.start_retention_clock(
            e, clocks=uow.clocks, retention=timedelta(days=365)
        )

    await store.batch([running], clocks_read_ahead, handle)
    first = await store.database["retention_clocks"].find_one({"_id": "already-running"})
    sent = await store.batch([running, *fresh], clocks_read_ahead, handle)
    assert sent == []
    assert await store.database["retention_clocks"].count_documents({}) == 4
    again = await store.database["retention_clocks"].find_one({"_id": "already-running"})
    assert again == first  # a running clock is not started again


async def test_surveys_registers_a_batch_of_contacts_from_what_it_read_ahead(store: Store) -> None:
    await store.database["survey_candidates"].insert_one(
        {"_id": "req-1", "requester_id": "tagged", "organisation_id": "org-7", "status": "open"}
    )
    secrets = SurveyKeys(hash_key=b"h", link_secret=b"l")
    policy = SurveyPolicy(1.0, "seed", timedelta(hours=24), timedelta(days=30))
    people = ["tagged", *(str(uuid4()) for _ in range(3))]
    events = [await registered(store, c, f"p.{c[:8]}@example.org") for c in people]

    async def handle(e: CloudEvent, tx: Transaction) -> None:
        uow = MongoSurveysUnitOfWork(tx.database, tx)
        await survey_handlers.register_contact(
            e,
            uow=uow,
            keys=store.keys,
            secrets=secrets,
            policy=policy,
            clock=FixedClock(AT),
            count=lambda reason: None,
        )

    prepare = surveys_read_ahead.contacts_read_ahead(keys=store.keys, secrets=secrets)
    sent = await store.batch(events, prepare, handle)
    assert sent == []
    contacts = {d["_id"]: d async for d in store.database["contacts"].find()}
    assert sorted(contacts) == sorted(people)
    assert contacts["tagged"]["organisation_ids"] == ["org-7"]
    assert all(contacts[c]["organisation_ids"] == [] for c in people[1:])
