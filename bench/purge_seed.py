"""Scenario 5's organisation: its requests stored directly in every service's own database, in
the document shapes the services' repositories write (too many to send through intake)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from pymongo import AsyncMongoClient

from bench.purge_documents import (
    Person,
    access_document,
    intake_documents,
    surveys_documents,
    with_id,
)
from services.access import directory as access_directory
from services.access import repository as access_repository
from services.access.domain import Representative
from services.intake import repository as intake_repository
from services.intake.domain import SupportRequest, new_reference, normalise_email
from services.retention import repository as retention_repository
from services.retention.domain import clock_for_new_request
from services.surveys import repository as surveys_repository
from services.surveys.domain import RegisteredContact, SurveyKeys
from services.surveys.handlers import InvitationAddress
from shared.crypto import KeyWrapper, seal
from shared.events.intake import Channel, ContactDetails
from shared.keystore import MongoKeyStore
from shared.mongo import DELETE_CHUNK, Document, TransactionRunner
from shared.settings import ServiceSettings

REQUESTS_PER_CONTACT = 20  # an organisation's representatives each filed this many requests
BATCH = 1000  # requests written per insert_many round
KEYS = "data_keys"
CHANNELS: tuple[Channel, ...] = ("web", "email", "phone")

Client = AsyncMongoClient[Document]
IN_CHUNK = DELETE_CHUNK  # ids per `$in`, as the services delete them


def chunked(selector: Document) -> list[Document]:
    """The selector, its `$in` list (if any) split into chunks of IN_CHUNK ids."""
    for name, value in selector.items():
        if isinstance(value, dict) and "$in" in value:
            ids = list(value["$in"])
            return [
                {**selector, name: {"$in": ids[first : first + IN_CHUNK]}}
                for first in range(0, len(ids), IN_CHUNK)
            ]
    return [selector]


@dataclass
class Organisation:
    """What was seeded: the organisation, its requests and contacts, and the document count."""

    organisation_id: str
    keystore_database: str
    request_ids: list[str] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)
    seed_seconds: float = 0.0


def selectors(organisation: Organisation, *, prefix: str) -> Iterator[tuple[str, str, Document]]:
    """(database, collection, filter) of every seeded document of the organisation."""
    for service, collection, selector in _selectors(organisation):
        database = organisation.keystore_database if service == "keystore" else prefix + service
        yield database, collection, selector


def _selectors(organisation: Organisation) -> Iterator[tuple[str, str, Document]]:
    org = {"organisation_id": organisation.organisation_id}
    ids = {"$in": organisation.request_ids}
    yield "intake", intake_repository.REQUESTS, org
    tagged = {"organisation_ids": organisation.organisation_id}
    yield "intake", intake_repository.CONTACTS, tagged
    yield "intake", intake_repository.MESSAGES, {"request_id": ids}
    yield "intake", intake_repository.ACKNOWLEDGEMENTS, {"_id": ids}
    yield "intake", intake_repository.CHANNEL_ITEMS, {"request_id": ids}
    yield "access", access_repository.REQUESTS, org
    yield "access", access_directory.REPRESENTATIVES, org
    # the purge leaves the organisation's id and erasure time (no name, no people) in access
    organisation_record = {"_id": organisation.organisation_id, "erased_at": None}
    yield "access", access_directory.ORGANISATIONS, organisation_record
    yield "retention", retention_repository.CLOCKS, org
    yield "surveys", surveys_repository.CANDIDATES, org
    yield "surveys", surveys_repository.INVITATIONS, org
    yield "surveys", surveys_repository.RESPONSES, org
    yield "surveys", surveys_repository.CONTACTS, tagged
    yield "keystore", KEYS, {"_id": {"$in": organisation.contact_ids}}


async def create_indexes(client: Client, *, prefix: str) -> None:
    """The indexes each service creates at start-up (for a baseline without the services)."""
    await intake_repository.create_indexes(TransactionRunner(client, f"{prefix}intake"))
    await access_repository.create_indexes(client[f"{prefix}access"])
    await access_directory.create_indexes(client[f"{prefix}access"])
    await retention_repository.create_indexes(TransactionRunner(client, f"{prefix}retention"))
    await surveys_repository.create_indexes(TransactionRunner(client, f"{prefix}surveys"))


async def seed(
    client: Client, *, prefix: str, requests: int, settings: ServiceSettings, secrets: SurveyKeys
) -> Organisation:
    """Write an organisation with `requests` requests (received over the past year) and its
    representatives into intake, access, retention and surveys, and their keys."""
    started = time.perf_counter()
    organisation = Organisation(
        organisation_id=f"org-{uuid.uuid4().hex[:12]}",
        keystore_database=settings.keystore_database_name,
    )
    org_id = organisation.organisation_id
    keys = MongoKeyStore(
        client,
        database_name=settings.keystore_database_name,
        wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
    )
    now = datetime.now(UTC)
    people = [
        Person(
            contact_id=str(uuid.uuid4()),
            details=ContactDetails(
                full_name=f"Representative {n}",
                email=f"rep{n}.{org_id}@example.org",
                company="Example AS",
            ),
        )
        for n in range(max(1, -(-requests // REQUESTS_PER_CONTACT)))
    ]
    organisation.contact_ids = [p.contact_id for p in people]
    written: dict[tuple[str, str], list[Document]] = {}

    def add(service: str, collection: str, document: Document) -> None:
        written.setdefault((service, collection), []).append(document)

    async def flush() -> None:
        for (service, collection), documents in written.items():
            if documents:
                await client[f"{prefix}{service}"][collection].insert_many(documents, ordered=False)
                key = f"{service}.{collection}"
                organisation.documents[key] = organisation.documents.get(key, 0) + len(documents)
        written.clear()

    for person in people:
        email = str(person.details.email)
        add(
            "intake",
            intake_repository.CONTACTS,
            {
                "_id": person.contact_id,
                "email_normalised": normalise_email(email),
                "phone_e164": None,
                "organisation_ids": [org_id],
                **person.details.model_dump(mode="json"),
            },
        )
        rep = Representative(org_id, person.contact_id, normalise_email(email), True, now, now)
        add(
            "access",
            access_directory.REPRESENTATIVES,
            {**asdict(rep), "_id": f"{org_id}|{rep.contact_id}"},
        )
        address = await seal(
            InvitationAddress(email=person.details.email),
            data_subject_id=person.contact_id,
            keys=keys,
        )
        contact = RegisteredContact(
            person.contact_id, now, secrets.opt_out_key(email), organisation_ids=(org_id,)
        )
        add(
            "surveys",
            surveys_repository.CONTACTS,
            {**with_id(asdict(contact), "contact_id"), "address": address.model_dump()},
        )
    add(
        "access",
        access_directory.ORGANISATIONS,
        {"_id": org_id, "name": "Example AS", "contract_status": "active", "status_at": now},
    )
    for number in range(requests):
        person = people[number % len(people)]
        received = now - timedelta(days=365) + timedelta(seconds=number)
        request = SupportRequest(
            request_id=str(uuid.uuid4()),
            reference=new_reference(),
            channel=CHANNELS[number % 3],
            requester_id=person.contact_id,
            organisation_id=org_id,
            lawful_basis="contract",
            subject="Cannot open the course page",
            body="The course page shows an error since this morning. Could you have a look?",
            received_at=received,
            status="resolved",
            resolution="solved",
            last_activity_at=received,
        )
        organisation.request_ids.append(request.request_id)
        from_intake = intake_documents(request, person)
        for collection, document in from_intake.items():
            add("intake", collection, document)
        message_id = str(from_intake[intake_repository.MESSAGES]["_id"])
        add("access", access_repository.REQUESTS, access_document(request, person, message_id))
        clock = clock_for_new_request(
            request_id=request.request_id,
            requester_id=person.contact_id,
            organisation_id=org_id,
            received_at=received,
            retention=timedelta(days=365),
        )
        add("retention", retention_repository.CLOCKS, with_id(asdict(clock), "request_id"))
        for collection, document in surveys_documents(request, number, secrets=secrets).items():
            add("surveys", collection, document)
        if (number + 1) % BATCH == 0:
            await flush()
    await flush()
    organisation.documents["keystore.data_keys"] = len(people)
    organisation.seed_seconds = round(time.perf_counter() - started, 1)
    return organisation


async def remaining(client: Client, *, prefix: str, organisation: Organisation) -> int:
    """How many of the organisation's seeded documents are still stored, in all databases."""
    total = 0
    for database, collection, selector in selectors(organisation, prefix=prefix):
        for chunk in chunked(selector):
            total += await client[database][collection].count_documents(chunk)
    return total
