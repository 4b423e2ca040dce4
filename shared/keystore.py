"""The data-key store in its own MongoDB database (DESIGN.md §4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from shared.crypto import HeldWrites, KeyWrapper, new_data_key
from shared.mongo import IN_CHUNK, Document, delete_in


@dataclass
class _KeyBatch:
    """The keys one batch of events has read or created; the created ones are not stored yet."""

    known: dict[str, bytes] = field(default_factory=dict)
    created: dict[str, Document] = field(default_factory=dict)


_current_batch: ContextVar[_KeyBatch | None] = ContextVar("key_batch", default=None)


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

    @asynccontextmanager
    async def batch(self, stored_with: HeldWrites | None = None) -> AsyncIterator[None]:
        """The scope of one batch of events (one transaction): each key is read from the store
        once, and the keys it creates are stored together when the scope ends without error.
        Given the transaction's held writes (`stored_with`), they go with those and commit with
        the data sealed with them (no round trip of their own, no key left by a transaction
        that failed); else they are stored on their own, before that transaction commits. A
        subject given a key by another writer meanwhile fails the store (the batch is then
        redone)."""
        scope = _KeyBatch()
        token = _current_batch.set(scope)
        try:
            yield
            if scope.created and stored_with is not None:
                namespace = f"{self._keys.database.name}.{self._keys.name}"
                for document in scope.created.values():
                    stored_with.hold_insert(namespace, document)
            elif scope.created:
                await self._keys.insert_many(list(scope.created.values()), ordered=True)
        finally:
            _current_batch.reset(token)

    async def prime(self, data_subject_ids: Iterable[str]) -> None:
        """Within a batch: read these subjects' keys in a few queries instead of one each."""
        scope = _current_batch.get()
        if scope is None:
            return
        wanted = sorted(set(data_subject_ids) - scope.known.keys())
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            async for found in self._keys.find({"_id": {"$in": chunk}}):
                subject = str(found["_id"])
                scope.known[subject] = self._wrapper.unwrap(bytes(found["wrapped_key"]), subject)

    async def create_key(self, data_subject_id: str) -> bytes:
        """The key of a subject that was just given its id, without looking for one first (a
        key that exists all the same is used)."""
        key = new_data_key()
        scope = _current_batch.get()
        if scope is not None:
            scope.known[data_subject_id] = key
            scope.created[data_subject_id] = self._document(data_subject_id, key)
            return key
        try:
            await self._keys.insert_one(self._document(data_subject_id, key))
        except DuplicateKeyError:  # another writer created it first: use theirs
            found = await self.existing_key(data_subject_id)
            if found is None:
                raise
            return found
        return key

    async def key_for(self, data_subject_id: str) -> bytes:
        existing = await self.existing_key(data_subject_id)
        if existing is not None:
            return existing
        return await self.create_key(data_subject_id)

    async def existing_key(self, data_subject_id: str) -> bytes | None:
        scope = _current_batch.get()
        if scope is not None and data_subject_id in scope.known:
            return scope.known[data_subject_id]
        found = await self._keys.find_one({"_id": data_subject_id})
        if found is None:
            return None
        key = self._wrapper.unwrap(bytes(found["wrapped_key"]), data_subject_id)
        if scope is not None:
            scope.known[data_subject_id] = key
        return key

    def _document(self, data_subject_id: str, key: bytes) -> Document:
        return {
            "_id": data_subject_id,
            "wrapped_key": self._wrapper.wrap(key, data_subject_id),
            "created_at": datetime.now(UTC),
        }

    async def shred(self, data_subject_id: str) -> bool:
        scope = _current_batch.get()
        pending = False
        if scope is not None:
            scope.known.pop(data_subject_id, None)
            pending = scope.created.pop(data_subject_id, None) is not None
        result = await self._keys.delete_one({"_id": data_subject_id})
        shredded = pending or result.deleted_count == 1
        if shredded and self._on_shred is not None:
            self._on_shred()
        return shredded

    async def shred_many(self, data_subject_ids: Sequence[str]) -> int:
        """Delete these subjects' keys, a chunk of ids per write (an erasure of an organisation
        shreds hundreds: one round trip each cost seconds on a busy store)."""
        subjects = sorted(set(data_subject_ids))
        pending = 0
        scope = _current_batch.get()
        if scope is not None:
            for subject in subjects:
                scope.known.pop(subject, None)
                pending += scope.created.pop(subject, None) is not None
        shredded = pending + await delete_in(self._keys, "_id", subjects)
        if self._on_shred is not None:
            for _ in range(shredded):
                self._on_shred()
        return shredded
