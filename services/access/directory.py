"""access's MongoDB stores of who is who: organisations, representatives and share grants."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import fields
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.access.domain import Representative, ShareGrant
from shared import erasure_progress
from shared.mongo import Document, Transaction, delete_in
from shared.read_ahead import find_any
from shared.stores import MongoCollection, MongoStore, document_of

ORGANISATIONS = "organisations"
REPRESENTATIVES = "representatives"
GRANTS = "share_grants"
LATCHES = "membership_latches"
LATCH_COUNT = 64

_REP_FIELDS = [f.name for f in fields(Representative)]
_GRANT_FIELDS = [f.name for f in fields(ShareGrant) if f.name != "grant_id"]


class MongoDirectory(MongoStore):
    """Organisations and their representatives, as the CRM last stated them."""

    def __init__(self, database: AsyncDatabase[Document], tx: Transaction | None = None) -> None:
        super().__init__(database, tx)
        self._organisations = database[ORGANISATIONS]
        self._representatives = database[REPRESENTATIVES]
        self._latches = database[LATCHES]

    async def representative(self, *, organisation_id: str, contact_id: str) -> Representative:
        found = await self._representatives.find_one(
            {"_id": _rep_id(organisation_id, contact_id)}, session=self._session
        )
        if found is None:
            return Representative(organisation_id=organisation_id, contact_id=contact_id)
        return _rep_from(found)

    async def save_representative(self, rep: Representative) -> None:
        await self._representatives.replace_one(
            {"_id": _rep_id(rep.organisation_id, rep.contact_id)},
            document_of(rep),
            upsert=True,
            session=self._session,
        )

    async def representatives_of_contacts(self, contact_ids: list[str]) -> list[Representative]:
        found = self._representatives.find(
            {"contact_id": {"$in": contact_ids}}, session=self._session
        )
        return [_rep_from(d) for d in await found.to_list()]

    async def representatives_of(
        self, contact_id: str, email_normalised: str | None
    ) -> list[Representative]:
        """The memberships of a person, by their contact id or their email, in one query."""
        clauses: list[Document] = [{"contact_id": contact_id}]
        if email_normalised:
            clauses.append({"email_normalised": email_normalised})
        found = await find_any(self._representatives, clauses, session=self._session)
        return [_rep_from(d) for d in found]

    async def serialise(self, keys: list[str]) -> None:
        """Write the latches of these keys (emails, contact ids), in one write: two transactions
        deciding about the same person then conflict and one is retried, so neither misses the
        other's write."""
        written = self._tx.latched.setdefault(LATCHES, set()) if self._tx else set()
        latches = sorted({_latch(key) for key in keys} - written)
        if latches:
            await self._latches.update_many(
                {"_id": {"$in": latches}}, {"$inc": {"writes": 1}}, session=self._session
            )
            written.update(latches)

    async def contract(self, organisation_id: str) -> Document:
        found = await self._organisations.find_one({"_id": organisation_id}, session=self._session)
        return found or {"_id": organisation_id}

    async def erased_at(
        self, organisation_id: str, contact_id: str | None = None
    ) -> datetime | None:
        """The latest erasure mark of the organisation or the contact, held until commit
        (`shared.erasure_progress`); for a purge by a version that made no mark, the time the
        organisation's record kept."""
        marked = await erasure_progress.erased_at(
            self._organisations.database,
            organisation_id=organisation_id,
            contact_id=contact_id,
            session=self._session,
        )
        kept = await self._organisations.find_one(
            {"_id": organisation_id, "erased_at": {"$exists": True}}, session=self._session
        )
        return max(filter(None, [marked, kept and kept["erased_at"]]), default=None)

    async def save_contract(self, organisation: Document) -> None:
        await self._organisations.replace_one(
            {"_id": organisation["_id"]}, organisation, upsert=True, session=self._session
        )

    async def delete_organisation(
        self, organisation_id: str, *, at: datetime
    ) -> tuple[int, list[str]]:
        """Delete an organisation and its representatives; (count, contact ids). What stays is
        its id and the moment (`erased_at`, also its `status_at`), so that a contract event the
        CRM dated before the erasure but delivered after it (another topic, consumed at its own
        pace) is older news and re-creates nothing (customers._contract_state)."""
        reps = self._representatives.find(
            {"organisation_id": organisation_id}, session=self._session
        )
        contact_ids = [d["contact_id"] for d in await reps.to_list()]
        await self._representatives.delete_many(
            {"organisation_id": organisation_id}, session=self._session
        )
        kept = await self._organisations.find_one_and_replace(
            {"_id": organisation_id},
            {"_id": organisation_id, "erased_at": at, "status_at": at},
            upsert=True,
            session=self._session,
        )
        deleted = int(kept is not None and "erased_at" not in kept)
        return deleted + len(contact_ids), contact_ids

    async def delete_contacts(self, contact_ids: list[str]) -> int:
        result = await self._representatives.delete_many(
            {"contact_id": {"$in": contact_ids}}, session=self._session
        )
        return result.deleted_count

    async def rectify_email(self, contact_ids: list[str], email_normalised: str) -> int:
        """Replace the email these contacts are known by in their memberships (P11)."""
        result = await self._representatives.update_many(
            {"contact_id": {"$in": contact_ids}, "email_normalised": {"$ne": None}},
            {"$set": {"email_normalised": email_normalised}},
            session=self._session,
        )
        return result.matched_count


class MongoShareGrants(MongoCollection):
    collection_name = GRANTS

    async def add(self, grant: ShareGrant) -> None:
        document = document_of(grant)
        document["_id"] = document.pop("grant_id")
        await self._insert(document)

    async def get(self, grant_id: str) -> ShareGrant | None:
        found = await self._find_one({"_id": grant_id})
        return None if found is None else _grant_from(found)

    async def of_request(self, request_id: str) -> list[ShareGrant]:
        """Every grant of a request, revoked and expired ones too, newest first."""
        cursor = self._collection.find({"request_id": request_id}, session=self._session)
        return [_grant_from(found) async for found in cursor.sort("granted_at", -1)]

    async def revoke(self, grant_id: str, *, at: datetime) -> None:
        await self._set({"_id": grant_id}, {"revoked_at": at})

    async def of_colleague(self, colleague_id: str, *, now: datetime) -> list[ShareGrant]:
        found = self._collection.find(
            {"colleague_id": colleague_id, "revoked_at": None, "expires_at": {"$gt": now}},
            session=self._session,
        )
        return [_grant_from(d) for d in await found.to_list()]

    async def delete_for_requests(self, request_ids: list[str]) -> int:
        return await delete_in(self._collection, "request_id", request_ids)

    async def tag_organisation(self, request_id: str, organisation_id: str | None) -> None:
        await self._collection.update_many(
            {"request_id": request_id},
            {"$set": {"organisation_id": organisation_id}},
            session=self._session,
        )


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[REPRESENTATIVES].create_index("contact_id")
    await database[REPRESENTATIVES].create_index("organisation_id")
    await database[REPRESENTATIVES].create_index("email_normalised")
    await database[GRANTS].create_index([("colleague_id", 1), ("expires_at", 1)])
    await database[GRANTS].create_index("request_id")
    await database[GRANTS].create_index("organisation_id")
    await database[GRANTS].create_index("requester_id")
    for index in range(LATCH_COUNT):
        with contextlib.suppress(DuplicateKeyError):
            await database[LATCHES].update_one(
                {"_id": index}, {"$setOnInsert": {"writes": 0}}, upsert=True
            )


def _latch(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % LATCH_COUNT


def _rep_id(organisation_id: str, contact_id: str) -> str:
    return f"{organisation_id}|{contact_id}"


def _rep_from(document: Document) -> Representative:
    values: dict[str, Any] = {name: document.get(name) for name in _REP_FIELDS}
    return Representative(**values)


def _grant_from(document: Document) -> ShareGrant:
    values: dict[str, Any] = {n: document.get(n) for n in _GRANT_FIELDS}
    return ShareGrant(grant_id=document["_id"], **values)
