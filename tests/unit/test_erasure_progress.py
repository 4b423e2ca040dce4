"""An erasure's progress notes (shared.erasure_progress): each is in the store when it returns,
notes made side by side share a write, and the totals are read back with the writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.erasure_progress import ERASURE_PROGRESS, ErasureProgress
from tests.support.memory_store import MemoryCollection, MemoryDatabase, MemoryMongo

NOW = datetime(2026, 12, 7, tzinfo=UTC)


class SlowProgress:
    """The progress collection, each round trip taking a while and counted; the write numbered
    `failing` (from 1) fails."""

    def __init__(self, collection: MemoryCollection) -> None:
        self._collection = collection
        self.database = collection.database
        self.writes: list[dict[str, Any]] = []
        self.reads = 0
        self.failing = 0
        self._calls = 0

    async def find_one_and_update(self, query: Any, change: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0.01)
        self._calls += 1
        if self._calls == self.failing:
            raise ConnectionError("the store went away")
        self.writes.append(change)
        return await self._collection.find_one_and_update(query, change, **kwargs)

    async def find_one(self, query: Any) -> Any:
        await asyncio.sleep(0.01)
        self.reads += 1
        return await self._collection.find_one(query)


class Database:
    def __init__(self, database: MemoryDatabase) -> None:
        self._database = database
        self.progress = SlowProgress(database[ERASURE_PROGRESS])

    def __getitem__(self, name: str) -> Any:
        return self.progress if name == ERASURE_PROGRESS else self._database[name]


@pytest.fixture
def database() -> Database:
    return Database(MemoryMongo()["intake"])


async def stored(database: Database, erasure_id: str) -> dict[str, Any]:
    found = await database.progress._collection.find_one({"_id": erasure_id})
    return dict(found.get("counts", {})) if found else {}


async def test_notes_made_side_by_side_share_a_write_and_each_is_stored_when_it_returns(
    database: Database,
) -> None:
    notes = ErasureProgress(database, "e1", now=NOW)  # type: ignore[arg-type]
    await notes.subjects_found(["p1"])
    returned: dict[str, dict[str, Any]] = {}

    async def delete(name: str, count: int) -> None:
        await asyncio.sleep(0.001 * count)  # the deletes end one after another
        await notes.deleted(name, count)
        returned[name] = await stored(database, "e1")

    names = ["messages", "raw_mails", "attachments", "requests", "channel_items", "contacts"]
    await asyncio.gather(*(delete(name, number + 1) for number, name in enumerate(names)))
    for number, name in enumerate(names):
        assert returned[name][name] == number + 1  # in the store before deleted() returned
    assert len(database.progress.writes) <= 3  # the subjects, the first delete, the other five
    assert await notes.so_far() == (
        {name: number + 1 for number, name in enumerate(names)},
        {"p1"},
    )
    assert database.progress.reads == 0  # the writes read the totals back


async def test_a_redo_reports_what_every_run_noted(database: Database) -> None:
    first = ErasureProgress(database, "e2", now=NOW)  # type: ignore[arg-type]
    await first.subjects_found(["p1", "p2"])
    await first.deleted("messages", 3)
    redo = ErasureProgress(database, "e2", now=NOW)  # type: ignore[arg-type]
    assert await redo.so_far() == ({"messages": 3}, {"p1", "p2"})  # read, nothing written yet
    assert database.progress.reads == 1
    await redo.deleted("attachments", 0)  # nothing left for the redo to delete
    await redo.deleted("contacts", 1)
    assert await redo.so_far() == ({"attachments": 0, "contacts": 1, "messages": 3}, {"p1", "p2"})
    assert database.progress.reads == 1


async def test_a_write_that_fails_fails_every_note_in_it(database: Database) -> None:
    notes = ErasureProgress(database, "e3", now=NOW)  # type: ignore[arg-type]
    database.progress.failing = 2
    results = await asyncio.gather(
        notes.deleted("messages", 2),  # written at once
        notes.deleted("requests", 1),  # these two wait for it, and go in the next write
        notes.deleted("contacts", 1),
        return_exceptions=True,
    )
    assert results[0] == 2
    assert [type(result) for result in results[1:]] == [ConnectionError, ConnectionError]
    assert await stored(database, "e3") == {"messages": 2}  # nothing noted that was not
    await notes.deleted("requests", 1)  # the handler's redo notes what it deletes again
    assert (await notes.so_far())[0] == {"messages": 2, "requests": 1}
