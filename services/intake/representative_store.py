"""The customer representatives a caller may be, one document per organisation and CRM
contact (services/intake/representatives.py says what is kept and for how long)."""

from __future__ import annotations

from datetime import datetime

from pymongo import DESCENDING

from shared import erasure_progress
from shared.crypto import SealedPersonalData
from shared.mongo import TransactionRunner
from shared.stores import MongoCollection

REPRESENTATIVES = "representatives"


def _key(organisation_id: str, contact_id: str) -> str:
    return f"{organisation_id}\x1f{contact_id}"


class MongoRepresentatives(MongoCollection):
    collection_name = REPRESENTATIVES

    async def stated_at(self, *, organisation_id: str, contact_id: str) -> datetime | None:
        found = await self._find_one({"_id": _key(organisation_id, contact_id)})
        return None if found is None else found["at"]

    async def erased_at(self, *, organisation_id: str, contact_id: str) -> datetime | None:
        return await erasure_progress.erased_at(
            self._collection.database,
            organisation_id=organisation_id,
            contact_id=contact_id,
            session=self._session,
        )

    async def named(
        self,
        *,
        organisation_id: str,
        contact_id: str,
        phone_e164: str | None,
        details: SealedPersonalData | None,
        at: datetime,
    ) -> None:
        document = {
            "organisation_id": organisation_id,
            "contact_id": contact_id,
            "phone_e164": phone_e164,
            "details": details.model_dump() if details is not None else None,
            "at": at,
        }
        await self._collection.replace_one(
            {"_id": _key(organisation_id, contact_id)},
            document,
            upsert=True,
            session=self._session,
        )

    async def by_phone(self, phone_e164: str) -> SealedPersonalData | None:
        cursor = (
            self._collection.find({"phone_e164": phone_e164}, session=self._session)
            .sort("at", DESCENDING)
            .limit(1)
        )
        found = [document async for document in cursor]
        return SealedPersonalData.model_validate(found[0]["details"]) if found else None


async def create_indexes(runner: TransactionRunner) -> None:
    collection = runner.database[REPRESENTATIVES]
    await collection.create_index("phone_e164")
    await collection.create_index("organisation_id")
    await collection.create_index("contact_id")
