"""The data-key store in its own MongoDB database (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from shared.crypto import KeyWrapper, new_data_key
from shared.mongo import Document


class MongoKeyStore:
    """One wrapped AES-256 data key per data subject; shredding deletes it."""

    def __init__(
        self,
        client: AsyncMongoClient[Document],
        *,
        database_name: str,
        wrapper: KeyWrapper,
        on_shred: Callable[[], None] | None = None,
    ) -> None:
        self._keys = client[database_name]["data_keys"]
        self._wrapper = wrapper
        self._on_shred = on_shred

    async def key_for(self, data_subject_id: str) -> bytes:
        existing = await self.existing_key(data_subject_id)
        if existing is not None:
            return existing
        key = new_data_key()
        try:
            await self._keys.insert_one(
                {
                    "_id": data_subject_id,
                    "wrapped_key": self._wrapper.wrap(key, data_subject_id),
                    "created_at": datetime.now(UTC),
                }
            )
        except DuplicateKeyError:  # another writer created it first: use theirs
            found = await self.existing_key(data_subject_id)
            if found is None:
                raise
            return found
        return key

    async def existing_key(self, data_subject_id: str) -> bytes | None:
        found = await self._keys.find_one({"_id": data_subject_id})
        if found is None:
            return None
        return self._wrapper.unwrap(bytes(found["wrapped_key"]), data_subject_id)

    async def shred(self, data_subject_id: str) -> bool:
        result = await self._keys.delete_one({"_id": data_subject_id})
        if result.deleted_count and self._on_shred is not None:
            self._on_shred()
        return result.deleted_count == 1
