"""One person's data-subject ids, as access links them in one account (P3): an order form's
representative who also wrote in has two, and one whose address the CRM changed. retention
erases a person under every id they have (P11); surveys asks a person, not an address, and
honours their opt-out under every id (P9). Ids only, from `access.account.contacts_linked.v1`;
forgotten with the person's erasure; an id whose contact alone is erased leaves its link."""

from __future__ import annotations

from collections.abc import Sequence

from pymongo import DeleteOne, UpdateOne

from shared.mongo import TransactionRunner
from shared.stores import MongoCollection

PERSON_LINKS = "person_links"


class MongoPersonLinks(MongoCollection):
    """One document per account: its id and the data-subject ids it links."""

    collection_name = PERSON_LINKS

    async def link(self, account_id: str, contact_ids: Sequence[str]) -> None:
        """Add these ids to the account's (events may arrive in any order: the union holds)."""
        await self._collection.update_one(
            {"_id": account_id},
            {"$addToSet": {"contact_ids": {"$each": list(contact_ids)}}},
            upsert=True,
            session=self._session,
        )

    async def of_person(self, person_id: str) -> tuple[str, ...]:
        """Every data-subject id of the person: the one asked about first, then the others."""
        found = await self._collection.find_one({"contact_ids": person_id}, session=self._session)
        others = sorted(set(found["contact_ids"]) - {person_id}) if found else []
        return (person_id, *others)

    async def forget(self, person_ids: Sequence[str]) -> int:
        """The links of these persons, gone with their erasure."""
        result = await self._collection.delete_many(
            {"contact_ids": {"$in": list(person_ids)}}, session=self._session
        )
        return result.deleted_count

    async def release(self, contact_ids: Sequence[str]) -> int:
        """These ids leave their persons' links (their contacts are erased); the person's other
        ids stay linked to each other, and a link left with one id goes. How many links changed
        or went."""
        released = set(contact_ids)
        found = self._collection.find(
            {"contact_ids": {"$in": sorted(released)}}, session=self._session
        )
        changes: list[UpdateOne | DeleteOne] = []
        async for link in found:
            kept = sorted(set(link["contact_ids"]) - released)
            changes.append(
                UpdateOne({"_id": link["_id"]}, {"$set": {"contact_ids": kept}})
                if len(kept) > 1
                else DeleteOne({"_id": link["_id"]})
            )
        if changes:
            await self._collection.bulk_write(changes, ordered=False, session=self._session)
        return len(changes)

    async def count_of(self, person_ids: Sequence[str]) -> int:
        return await self._collection.count_documents(
            {"contact_ids": {"$in": list(person_ids)}}, session=self._session
        )


async def create_indexes(runner: TransactionRunner) -> None:
    await runner.database[PERSON_LINKS].create_index("contact_ids")
