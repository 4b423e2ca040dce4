"""A web submission from someone new: their data key is made, stored before the request
commits, and used for both events it seals (contact registered, request received) without
reading it back from the key store (two store round trips of a dozen per submission)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.keystore import MongoKeyStore
from tests.support.memory import MemorySystem
from tests.support.producers import Person


class _CountedReads:
    """The key store's collection, counting the reads that reach it."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection
        self.reads = 0

    async def find_one(self, *args: Any, **kwargs: Any) -> Any:
        self.reads += 1
        return await self._collection.find_one(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._collection, name)


async def test_a_new_persons_submission_seals_with_a_key_it_does_not_read_back() -> None:
    async with MemorySystem(now=datetime.now(UTC)).running() as system:
        keys = system.services["intake"].runtime.keys
        assert isinstance(keys, MongoKeyStore)
        counted = _CountedReads(keys._keys)
        keys._keys = counted  # type: ignore[assignment]
        accepted = await system.http("intake").post("/requests", json=Person.new("New").web_form())
        assert accepted.status_code == 202, accepted.text
        assert counted.reads == 0
        request = await system.database("intake")["requests"].find_one(
            {"_id": accepted.json()["request_id"]}
        )
        assert request is not None
        assert await keys.existing_key(request["requester_id"]) is not None  # stored
        await system.settle()
        view = await system.database("access")["request_views"].find_one({"_id": request["_id"]})
        assert view is not None and view["requester_email"]  # both events opened downstream
