"""access's MongoDB stores of accounts: requester accounts, staff, login failures, outgoing mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from shared import erasure_progress
from shared.mongo import Document
from shared.stores import MongoCollection

ACCOUNTS = "accounts"
STAFF = "staff"
LOGIN_FAILURES = "login_failures"
MAILBOX = "mailbox"
UPGRADES = "upgrades"  # one document per data upgrade done at start-up
LINKS_ANNOUNCED = "account_links_announced"


class MongoAccounts(MongoCollection):
    """Requester accounts (P3): one per person, linking every contact id they are known by."""

    collection_name = ACCOUNTS

    async def was_erased(self, contact_id: str) -> bool:
        return await erasure_progress.was_person_erased(
            self._collection.database, contact_id, session=self._session
        )

    async def by_email(self, email_normalised: str) -> Document | None:
        return await self._find_one({"email_normalised": email_normalised})

    async def by_contact(self, contact_id: str) -> Document | None:
        return await self._find_one({"contact_ids": contact_id})

    async def add(self, account: Document) -> None:
        await self._insert(account)

    async def link_contact(self, account_id: str, contact_id: str) -> None:
        await self._collection.update_one(
            {"_id": account_id}, {"$addToSet": {"contact_ids": contact_id}}, session=self._session
        )

    async def links_unannounced(self, limit: int) -> list[Document]:
        """Accounts linking several contacts whose links no event has announced yet (linked by
        a version before `access.account.contacts_linked.v1`). Once none is left, that is noted
        and later start-ups look no more (the query reads every account)."""
        upgrades = self._collection.database[UPGRADES]
        if await upgrades.find_one({"_id": LINKS_ANNOUNCED}, session=self._session) is not None:
            return []
        query = {"contact_ids.1": {"$exists": True}, "links_announced": {"$exists": False}}
        found = await self._collection.find(query, session=self._session).limit(limit).to_list()
        if not found:
            await upgrades.replace_one(
                {"_id": LINKS_ANNOUNCED},
                {"_id": LINKS_ANNOUNCED},
                upsert=True,
                session=self._session,
            )
        return found

    async def by_set_password_token(self, token_hash: str) -> Document | None:
        return await self._find_one({"set_password.token_hash": token_hash})

    async def update(self, account_id: str, changes: Document) -> None:
        await self._set({"_id": account_id}, changes)

    async def delete_for_contacts(self, contact_ids: list[str]) -> list[Document]:
        """Delete the accounts of these contacts; return what was deleted."""
        found = await self._collection.find(
            {"contact_ids": {"$in": contact_ids}}, session=self._session
        ).to_list()
        await self._collection.delete_many(
            {"_id": {"$in": [d["_id"] for d in found]}}, session=self._session
        )
        return found


class MongoStaff(MongoCollection):
    """Support staff, colleagues and admins."""

    collection_name = STAFF

    async def by_email(self, email_normalised: str) -> Document | None:
        return await self._find_one({"email_normalised": email_normalised, "active": True})

    async def get(self, staff_id: str) -> Document | None:
        return await self._find_one({"_id": staff_id, "active": True})

    async def add(self, member: Document) -> None:
        await self._insert(member)

    async def all(self) -> list[Document]:
        found = self._collection.find({"active": True}, session=self._session).sort("_id")
        return await found.to_list()

    async def deactivate(self, staff_id: str) -> bool:
        result = await self._collection.update_one(
            {"_id": staff_id, "active": True},
            {"$set": {"active": False, "password_hash": None, "email_normalised": None}},
            session=self._session,
        )
        return result.modified_count == 1


class MongoLoginFailures(MongoCollection):
    """Failed logins per key (hashed account key, client address) inside a sliding window."""

    collection_name = LOGIN_FAILURES

    async def count_since(self, key: str, since: datetime) -> int:
        return await self._collection.count_documents({"key": key, "at": {"$gte": since}})

    async def add(self, keys: list[str], at: datetime) -> None:
        await self._collection.insert_many([{"key": key, "at": at} for key in keys])

    async def clear(self, key: str) -> None:
        await self._collection.delete_many({"key": key})


def _due(now: datetime) -> Document:
    """Mail whose next try has come: never tried, or its retry or lease is over."""
    return {"$or": [{"next_try_at": None}, {"next_try_at": {"$lte": now}}]}


class MongoMailbox(MongoCollection):
    """Mail waiting for the relay; staged in the transaction that decided to send it."""

    collection_name = MAILBOX

    async def enqueue(
        self, *, mail_id: str, account_id: str, to: str, subject: str, body: str, at: datetime
    ) -> None:
        await self._insert(
            {
                "_id": mail_id,
                "account_id": account_id,
                "to": to,
                "subject": subject,
                "body": body,
                "due_at": at,
                "tries": 0,
                "next_try_at": None,
            }
        )

    async def due(self, now: datetime, *, limit: int = 50) -> list[Document]:
        """Mail not yet sent whose next try (wall clock) has come."""
        found = self._collection.find(_due(now), session=self._session)
        return await found.sort("due_at", ASCENDING).limit(limit).to_list()

    async def claim(self, mail_ids: list[str], *, now: datetime, until: datetime) -> list[Document]:
        """Take these mails for sending until `until`, in one write, and return those taken, in
        due order: a mail sent meanwhile, or not due (another replica's dispatcher holds it), is
        left out. A crash leaves them to be taken again then."""
        claim = str(uuid4())
        await self._collection.update_many(
            {"_id": {"$in": mail_ids}, **_due(now)},
            {"$set": {"next_try_at": until, "claim": claim}},
            session=self._session,
        )
        taken = self._collection.find(
            {"_id": {"$in": mail_ids}, "claim": claim}, session=self._session
        )
        return await taken.sort("due_at", ASCENDING).to_list()

    async def sent(self, mail_ids: list[str]) -> None:
        await self._collection.delete_many({"_id": {"$in": mail_ids}}, session=self._session)

    async def retry_later(self, mail_id: str, *, at: datetime) -> Any:
        """Keep the mail and try again at `at`."""
        return await self._collection.find_one_and_update(
            {"_id": mail_id},
            {"$set": {"next_try_at": at}, "$inc": {"tries": 1}},
            return_document=ReturnDocument.AFTER,
            session=self._session,
        )

    async def delete_for_accounts(self, account_ids: list[str]) -> int:
        result = await self._collection.delete_many(
            {"account_id": {"$in": account_ids}}, session=self._session
        )
        return result.deleted_count

    async def readdress(self, account_id: str, to: str) -> int:
        """Send this account's waiting mail to its corrected address (P11)."""
        result = await self._collection.update_many(
            {"account_id": account_id}, {"$set": {"to": to}}, session=self._session
        )
        return result.matched_count


async def create_indexes(database: AsyncDatabase[Document], *, window: timedelta) -> None:
    await database[ACCOUNTS].create_index("email_normalised", unique=True)
    await database[ACCOUNTS].create_index("contact_ids")
    await database[ACCOUNTS].create_index("set_password.token_hash", sparse=True)
    await database[STAFF].create_index("email_normalised")
    await database[LOGIN_FAILURES].create_index([("key", ASCENDING), ("at", ASCENDING)])
    await database[LOGIN_FAILURES].create_index(
        "at", name="failures_ttl", expireAfterSeconds=int(window.total_seconds()) * 2
    )
    await database[MAILBOX].create_index("due_at")
