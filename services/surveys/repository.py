"""surveys' MongoDB repositories; each works inside one transaction (or on the database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.surveys.domain import (
    ACTIVE_STATES,
    DUE_STATES,
    Invitation,
    Reason,
    RegisteredContact,
    SurveyCandidate,
)
from services.surveys.response_store import RESPONSES as RESPONSES
from services.surveys.response_store import MongoResponses
from shared import erasure_progress, person_links
from shared.crypto import SealedPersonalData
from shared.mongo import Document, Transaction, TransactionRunner
from shared.person_links import MongoPersonLinks
from shared.read_ahead import find_any
from shared.stores import MongoCollection, MongoUnitOfWork, document_of

CANDIDATES = "survey_candidates"
CONTACTS = "contacts"
INVITATIONS = "invitations"
OPT_OUTS = "opt_outs"
ERASED = "erased_subjects"


class MongoSurveyCandidates(MongoCollection):
    collection_name = CANDIDATES

    async def was_erased(self, request_id: str) -> bool:
        return await erasure_progress.was_erased(
            self._collection.database, request_id, session=self._session
        )

    async def watch(self, candidate: SurveyCandidate) -> None:
        document = document_of(candidate)
        document["_id"] = document.pop("request_id")
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, request_id: str) -> SurveyCandidate | None:
        found = await self._find_one({"_id": request_id})
        if found is None:
            return None
        found["request_id"] = found.pop("_id")
        return SurveyCandidate(**found)

    async def set_status(self, request_id: str, status: str) -> None:
        await self._set({"_id": request_id}, {"status": status})

    async def set_organisation(
        self, request_id: str, organisation_id: str | None, *, version: int
    ) -> bool:
        """Apply access's organisation decision `version` unless a newer one was; whether it was."""
        found = await self._find_one({"_id": request_id})
        if found is None or version <= found.get("organisation_version", 0):
            return False
        await self._set(
            {"_id": request_id},
            {"organisation_id": organisation_id, "organisation_version": version},
        )
        return True


class MongoContacts(MongoCollection):
    collection_name = CONTACTS

    async def register(self, contact: RegisteredContact, *, address: SealedPersonalData) -> None:
        """Remember the contact, tagged with the customer organisations of their requests."""
        document = document_of(contact)
        document["_id"] = document.pop("contact_id")
        document["address"] = address.model_dump()
        document["organisation_ids"] = await self._organisations_of(contact.contact_id)
        await self._collection.replace_one(
            {"_id": document["_id"]}, document, upsert=True, session=self._session
        )

    async def get(self, contact_id: str) -> RegisteredContact | None:
        found = await self._find_one({"_id": contact_id})
        if found is None:
            return None
        return RegisteredContact(
            contact_id=found["_id"],
            registered_at=found["registered_at"],
            opt_out_key=found["opt_out_key"],
            organisation_ids=tuple(found.get("organisation_ids") or ()),
        )

    async def address(self, contact_id: str) -> SealedPersonalData | None:
        found = await self._find_one({"_id": contact_id})
        return None if found is None else SealedPersonalData.model_validate(found["address"])

    async def retag(self, contact_id: str) -> None:
        """The customer organisations of the person's requests, recomputed from them."""
        await self._set(
            {"_id": contact_id}, {"organisation_ids": await self._organisations_of(contact_id)}
        )

    async def _organisations_of(self, contact_id: str) -> list[str]:
        candidates = await find_any(  # a batch may have them read ahead
            self._collection.database[CANDIDATES],
            [{"requester_id": contact_id}],
            session=self._session,
        )
        return sorted({c["organisation_id"] for c in candidates if c.get("organisation_id")})

    async def touch(self, contact_id: str, *, at: datetime) -> None:
        """Write the person's record, so concurrent decisions about one person conflict and retry."""
        await self._set({"_id": contact_id}, {"last_decided_at": at})


class MongoKeyedSet(MongoCollection):
    """A set of keyed hashes (opt-outs, erased subjects; `name=` says which): nothing
    reversible is kept. A key is in the set once it has `added_at`; a document with only
    `seen_at` is a held check."""

    async def contains(self, key: str, *, hold: bool = False) -> bool:
        """Whether the key is in the set. With `hold` the answer holds until the caller's
        transaction commits, as `shared.erasure_progress.was_erased` does for erased requests."""
        if hold:
            return await erasure_progress.marked_and_held(
                self._collection, key, field="added_at", session=self._session
            )
        found = await self._find_one({"_id": key})  # by id alone: a batch may have it read ahead
        return found is not None and "added_at" in found

    async def add(self, key: str, *, at: datetime) -> None:
        await erasure_progress.mark(
            self._collection, key, field="added_at", at=at, session=self._session
        )


_INVITATION_FIELDS = tuple(Invitation.__dataclass_fields__)


def _invitation(document: Document) -> Invitation:
    values: dict[str, Any] = {
        name: document.get(name) for name in _INVITATION_FIELDS if name != "invitation_id"
    }
    values["attempts"] = values["attempts"] or 0
    return Invitation(invitation_id=document["_id"], **values)


class MongoInvitations(MongoCollection):
    collection_name = INVITATIONS

    async def get(self, invitation_id: str) -> Invitation | None:
        found = await self._find_one({"_id": invitation_id})
        return None if found is None else _invitation(found)

    async def record(self, invitation: Invitation) -> None:
        document = document_of(invitation)
        document["_id"] = document.pop("invitation_id")
        document["history"] = [{"reason": invitation.reason, "at": invitation.decided_at}]
        await self._insert(document)

    async def due_ats_for(self, requester_ids: Sequence[str]) -> list[datetime]:
        """When the person's scheduled, sending and sent invitations are (were) due."""
        return [i.due_at for i in await self.active_for(requester_ids) if i.due_at]

    async def active_for(self, requester_ids: Sequence[str]) -> list[Invitation]:
        """The person's scheduled, sending and sent invitations, under any of their ids."""
        cursor = self._collection.find(
            {"requester_id": {"$in": list(requester_ids)}, "state": {"$in": list(ACTIVE_STATES)}},
            session=self._session,
        )
        return [_invitation(found) async for found in cursor]

    async def conclude(
        self, invitation_id: str, *, state: str, reason: Reason, at: datetime, **fields: Any
    ) -> None:
        """Move an invitation to a new state, recording the reason in its history."""
        await self._collection.update_one(
            {"_id": invitation_id},
            {
                "$set": {"state": state, "reason": reason, **fields},
                "$push": {"history": {"reason": reason, "at": at}},
            },
            session=self._session,
        )

    async def scheduled(
        self, *, request_id: str | None = None, requester_id: str | None = None
    ) -> list[str]:
        query: Document = {"state": "scheduled"}
        if request_id is not None:
            query["request_id"] = request_id
        if requester_id is not None:
            query["requester_id"] = requester_id
        cursor = self._collection.find(query, {"_id": 1}, session=self._session)
        return [found["_id"] async for found in cursor]

    async def due(self, *, now: datetime, limit: int) -> list[str]:
        cursor = (
            self._collection.find(
                {"state": {"$in": list(DUE_STATES)}, "due_at": {"$lte": now}},
                {"_id": 1},
                session=self._session,
            )
            .sort("due_at", ASCENDING)
            .limit(limit)
        )
        return [found["_id"] async for found in cursor]

    async def count_due(self, *, now: datetime) -> int:
        return await self._collection.count_documents(
            {"state": {"$in": list(DUE_STATES)}, "due_at": {"$lte": now}}, session=self._session
        )

    async def set_fields(self, invitation_id: str, **fields: Any) -> None:
        await self._set({"_id": invitation_id}, fields)

    async def by_token(self, *, field: str, hashed: str) -> Invitation | None:
        found = await self._find_one({field: hashed})
        return None if found is None else _invitation(found)

    async def for_request(self, request_id: str) -> list[Invitation]:
        cursor = self._collection.find({"request_id": request_id}, session=self._session)
        return [_invitation(found) async for found in cursor.sort("decided_at", ASCENDING)]

    async def for_subject(self, requester_id: str) -> list[Invitation]:
        query = [{"requester_id": requester_id}]
        return [
            _invitation(d) for d in await find_any(self._collection, query, session=self._session)
        ]


class MongoSurveysUnitOfWork(MongoUnitOfWork):
    """surveys' unit of work: every collection and the outbox, in one transaction."""

    tx: Transaction

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction) -> None:
        super().__init__(database, tx)
        self.candidates = MongoSurveyCandidates(database, tx)
        self.contacts = MongoContacts(database, tx)
        self.invitations = MongoInvitations(database, tx)
        self.opt_outs = MongoKeyedSet(database, tx, name=OPT_OUTS)
        self.erased = MongoKeyedSet(database, tx, name=ERASED)
        self.responses = MongoResponses(database, tx)
        self.persons = MongoPersonLinks(database, tx)

    async def tag_request(self, request_id: str, organisation_id: str | None) -> None:
        """Invitations and responses follow their request's organisation (P7, P9)."""
        for name in (INVITATIONS, RESPONSES):
            await self.tx.database[name].update_many(
                {"request_id": request_id},
                {"$set": {"organisation_id": organisation_id}},
                session=self.tx.session,
            )

    async def rectify_contact(
        self, contact_id: str, *, address: SealedPersonalData, opt_out_key: str
    ) -> None:
        """Store a person's corrected address; their sent invitations opt out under the new hash."""
        session = self.tx.session
        await self.tx.database[CONTACTS].update_one(
            {"_id": contact_id},
            {"$set": {"address": address.model_dump(), "opt_out_key": opt_out_key}},
            session=session,
        )
        await self.tx.database[INVITATIONS].update_many(
            {"requester_id": contact_id, "opt_out_key": {"$ne": None}},
            {"$set": {"opt_out_key": opt_out_key}},
            session=session,
        )


async def create_indexes(runner: TransactionRunner) -> None:
    database = runner.database
    await erasure_progress.create_indexes(database)
    await person_links.create_indexes(runner)
    for keyed_set in (OPT_OUTS, ERASED):  # made now: a check that holds needs it to exist
        await database[keyed_set].create_index("added_at")
    await database[CANDIDATES].create_index("requester_id")
    await database[CANDIDATES].create_index("organisation_id")
    await database[CONTACTS].create_index("organisation_ids")
    await database[INVITATIONS].create_index([("requester_id", ASCENDING), ("state", ASCENDING)])
    await database[INVITATIONS].create_index([("state", ASCENDING), ("due_at", ASCENDING)])
    await database[INVITATIONS].create_index("request_id")
    await database[RESPONSES].create_index("request_id")
    await database[INVITATIONS].create_index("organisation_id")
    await database[INVITATIONS].create_index("response_token_hash", sparse=True)
    await database[INVITATIONS].create_index("opt_out_token_hash", sparse=True)
    await database[RESPONSES].create_index("responded_at")
    await database[RESPONSES].create_index("requester_id")
    await database[RESPONSES].create_index("organisation_id")
