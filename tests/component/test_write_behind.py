"""The write-behind view of a batch transaction, and the key store's batch scope, against the real store: reads see held writes,
nothing is written before the flush, a conflict surfaces at the flush, and post-commit work runs
only after a commit."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Coroutine
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, InvalidOperation

from shared.crypto import KeyWrapper
from shared.keystore import MongoKeyStore
from shared.mongo import TransactionRunner, create_mongo_client
from shared.read_ahead import find_any, prime
from shared.settings import ServiceSettings
from shared.write_behind import CLIENT_BULK_MAX, WriteBehindUnsupported, write_behind
from tests.support.commands import CommandNames


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    runner = TransactionRunner(client, settings.database_name)
    await runner.database["people"].create_index("email", unique=True)
    yield runner
    await client.close()


async def test_held_writes_are_seen_by_reads_and_reach_the_store_only_when_flushed(
    runner: TransactionRunner,
) -> None:
    people = runner.database["people"]
    await people.insert_one({"_id": "p0", "email": "zero@example.org"})
    async with runner.transaction() as tx:
        batch, held = write_behind(tx)
        seen = batch.database["people"]
        await seen.insert_one({"_id": "p1", "email": "one@example.org"}, session=tx.session)
        await seen.update_one(
            {"_id": "p2"}, {"$setOnInsert": {"email": "two@example.org"}}, upsert=True
        )
        assert await people.count_documents({}, session=tx.session) == 1  # held, not sent
        # a read no held write can change goes to the store without flushing ...
        assert (await seen.find_one({"_id": "p0"}, session=tx.session) or {})["email"] == (
            "zero@example.org"
        )
        assert await seen.find_one({"email": "nobody@example.org"}, session=tx.session) is None
        assert await people.count_documents({}, session=tx.session) == 1
        # ... one a held write answers flushes first
        found = await seen.find_one({"email": "one@example.org"}, session=tx.session)
        assert found == {"_id": "p1", "email": "one@example.org"}
        assert await people.count_documents({}, session=tx.session) == 3
        await seen.insert_one({"_id": "p3", "email": "three@example.org"}, session=tx.session)
        with pytest.raises(WriteBehindUnsupported):
            seen.find({})  # a cursor cannot see held writes
        await held.flush()
    assert [d["_id"] async for d in people.find({}, sort=[("_id", 1)])] == ["p0", "p1", "p2", "p3"]


async def test_a_unique_violation_surfaces_at_the_flush_and_nothing_of_the_batch_is_kept(
    runner: TransactionRunner,
) -> None:
    people = runner.database["people"]
    await people.insert_one({"_id": "p0", "email": "zero@example.org"})
    ran: list[str] = []
    with pytest.raises(BulkWriteError):
        async with runner.transaction() as tx:
            tx.after_commit(lambda: ran.append("committed"))
            batch, held = write_behind(tx)
            seen = batch.database["people"]
            await seen.insert_one({"_id": "p1", "email": "one@example.org"})
            await seen.insert_one({"_id": "p2", "email": "zero@example.org"})  # taken
            await held.flush()
    assert [d["_id"] async for d in people.find({})] == ["p0"]
    assert ran == []
    async with runner.transaction() as tx:
        tx.after_commit(lambda: ran.append("committed"))
    assert ran == ["committed"]


async def test_an_add_if_absent_keeps_what_was_there_and_its_result_cannot_be_read(
    runner: TransactionRunner,
) -> None:
    people = runner.database["people"]
    await people.insert_one({"_id": "p0", "email": "zero@example.org"})
    async with runner.transaction() as tx:
        batch, held = write_behind(tx)
        result = await batch.database["people"].update_one(
            {"_id": "p0"}, {"$setOnInsert": {"email": "other@example.org"}}, upsert=True
        )
        with pytest.raises(Exception, match="unacknowledged"):
            _ = result.matched_count
        found = await batch.database["people"].find_one({"_id": "p0"})
        assert found == {"_id": "p0", "email": "zero@example.org"}
        await held.flush()


@pytest.fixture
async def keys(settings: ServiceSettings) -> AsyncIterator[MongoKeyStore]:
    client = create_mongo_client(settings)
    yield MongoKeyStore(
        client,
        database_name=settings.keystore_database_name,
        wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
    )
    await client.close()


async def test_keys_created_in_a_batch_are_stored_together_when_it_ends_and_never_if_it_fails(
    keys: MongoKeyStore,
) -> None:
    async with keys.batch():
        first = await keys.key_for("subject-1")
        assert await keys.key_for("subject-1") == first  # the same key within the batch ...
        async with keys.batch():  # ... and nothing stored before the batch ends
            assert await keys.existing_key("subject-1") is None
    assert await keys.existing_key("subject-1") == first

    with pytest.raises(RuntimeError):
        async with keys.batch():
            await keys.key_for("subject-2")
            raise RuntimeError("the batch failed")
    assert await keys.existing_key("subject-2") is None

    async with keys.batch():
        await keys.key_for("subject-3")
        assert await keys.shred("subject-3")  # shredded before it was ever stored
    assert await keys.existing_key("subject-3") is None


async def test_a_key_another_writer_created_meanwhile_fails_the_batch(keys: MongoKeyStore) -> None:
    with pytest.raises(BulkWriteError):
        async with keys.batch():
            ours = await keys.key_for("subject-4")
            async with keys.batch():
                pass  # an empty scope stores nothing
            theirs = await _outside_the_batch(keys.key_for("subject-4"))
    assert await keys.existing_key("subject-4") == theirs != ours


async def _outside_the_batch(operation: Coroutine[Any, Any, bytes]) -> bytes:
    """Run in a task with a fresh context, so with no batch scope (as another process would)."""
    return await asyncio.create_task(operation, context=contextvars.Context())


async def test_primed_reads_are_answered_with_the_held_writes_and_forgotten_after_other_writes(
    runner: TransactionRunner,
) -> None:
    people = runner.database["people"]
    await people.insert_one({"_id": "p0", "email": "zero@example.org"})
    at = datetime(2026, 11, 29, 9, 30, 15, 123456, tzinfo=UTC)
    async with runner.transaction() as tx:
        batch, held = write_behind(tx)
        found = await prime(batch, "people", "email", ["zero@example.org", "new@example.org"])
        assert [d["_id"] for d in found] == ["p0"]
        seen = batch.database["people"]
        assert await seen.find_one({"email": "new@example.org"}) is None
        await seen.insert_one({"_id": "p1", "email": "new@example.org", "at": at})
        read = await seen.find_one({"email": "new@example.org"})  # held, then flushed
        assert read == await people.find_one({"_id": "p1"}, session=tx.session)
        assert read is not None and read["at"] == at.replace(microsecond=123000)  # as stored
        await seen.update_one(
            {"_id": "p0"}, {"$set": {"email": "changed@example.org"}}, session=tx.session
        )
        gone = await seen.find_one({"email": "zero@example.org"}, session=tx.session)
        assert gone is None  # the store's answer, not the primed copy
        assert await prime(tx, "people", "email", ["x"]) == []  # a plain transaction: no-op
        await held.flush()


@pytest.mark.parametrize("per_collection", [1, CLIENT_BULK_MAX // 2 + 1])
async def test_a_few_held_writes_across_collections_are_sent_in_one_round_trip(
    settings: ServiceSettings, per_collection: int
) -> None:
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    runner = TransactionRunner(client, settings.database_name)
    try:
        async with runner.transaction() as tx:
            batch, held = write_behind(tx)
            for n in range(per_collection):
                await batch.database["people"].insert_one({"_id": f"p{n}"})
                await batch.database["tags"].update_one(
                    {"_id": f"t{n}"}, {"$setOnInsert": {"n": n}}, upsert=True
                )
            commands.names.clear()
            await held.flush()
            sent = list(commands.names)
        for name in ("people", "tags"):
            assert await runner.database[name].count_documents({}) == per_collection
    finally:
        await client.close()
    if per_collection == 1:
        assert sent == ["bulkWrite"]  # both collections' writes in one client-level bulkWrite
    else:
        assert sent == ["insert", "update"]  # too many for one: one bulk_write per collection


@pytest.fixture
async def counted(settings: ServiceSettings) -> AsyncIterator[tuple[TransactionRunner, list[str]]]:
    """A runner whose client's commands are listed, in order."""
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    yield TransactionRunner(client, settings.database_name), commands.names
    await client.close()


async def test_an_upsert_that_changes_a_document_is_held_and_a_read_of_it_sends_it_first(
    counted: tuple[TransactionRunner, list[str]],
) -> None:
    runner, sent = counted
    people = runner.database["people"]
    await people.insert_one({"_id": "p0", "n": 1, "email": "zero@example.org"})
    async with runner.transaction() as tx:
        batch, _held = write_behind(tx)
        seen = batch.database["people"]
        sent.clear()
        result = await seen.update_one(
            {"_id": "p0"}, {"$inc": {"n": 1}}, upsert=True, session=tx.session
        )
        await seen.update_one({"_id": "p9"}, {"$set": {"n": 5}, "$max": {"m": 2}}, upsert=True)
        await seen.replace_one({"_id": "p5"}, {"n": 7}, upsert=True, session=tx.session)
        assert sent == []  # held
        with pytest.raises(InvalidOperation):
            result.matched_count  # noqa: B018 - unacknowledged: a caller cannot read it
        assert await seen.find_one({"_id": "p1"}, session=tx.session) is None
        assert sent == ["find"]  # another id: none of them can change the answer
        # a read they may concern sends them first: the store alone knows what they left
        read = await seen.find_one({"email": "zero@example.org"}, session=tx.session)
        assert (read or {})["n"] == 2
        assert sent == ["find", "update", "find"]
        assert await seen.find_one({"_id": "p9"}, session=tx.session) == {
            "_id": "p9",
            "n": 5,
            "m": 2,
        }
        assert await seen.find_one({"_id": "p5"}, session=tx.session) == {"_id": "p5", "n": 7}
    assert await people.count_documents({}) == 3


async def test_primed_array_fields_and_clauses_are_answered_from_memory(
    counted: tuple[TransactionRunner, list[str]],
) -> None:
    runner, sent = counted
    people = runner.database["people"]
    await people.insert_many(
        [
            {"_id": "a0", "contacts": ["c1", "c2"], "email": "zero@example.org"},
            {"_id": "a1", "contacts": ["c4"], "email": "one@example.org"},
        ]
    )
    async with runner.transaction() as tx:
        batch, held = write_behind(tx)
        seen = batch.database["people"]
        await prime(batch, "people", "contacts", ["c1", "c2", "c3"])
        await prime(batch, "people", "email", ["zero@example.org", "one@example.org"])
        sent.clear()
        assert (await seen.find_one({"contacts": "c2"}, session=tx.session) or {})["_id"] == "a0"
        assert await seen.find_one({"contacts": "c3"}, session=tx.session) is None
        both = await find_any(
            seen, [{"contacts": "c1"}, {"email": "zero@example.org"}], session=tx.session
        )
        assert [d["_id"] for d in both] == ["a0"]  # once, though both clauses find it
        assert sent == []  # all from memory
        await seen.insert_one({"_id": "a2", "contacts": ["c3", "c4"], "email": "two@example.org"})
        found = await find_any(
            seen, [{"contacts": "c3"}, {"email": "one@example.org"}], session=tx.session
        )
        assert sorted(d["_id"] for d in found) == ["a1", "a2"]
        assert sent == ["insert"]  # the held insert went first; the answer is from memory
        sent.clear()
        assert [d["_id"] for d in await find_any(seen, [{"contacts": "c4"}], session=tx.session)]
        assert sent == ["find"]  # never primed: asked of the store
        await held.flush()


async def test_keys_created_in_a_batch_go_in_its_transaction_s_bulk_write_and_commit_with_it(
    settings: ServiceSettings, counted: tuple[TransactionRunner, list[str]]
) -> None:
    runner, sent = counted
    keys = MongoKeyStore(
        runner.database.client,
        database_name=settings.keystore_database_name,
        wrapper=KeyWrapper.from_base64(settings.key_encryption_key.get_secret_value()),
    )
    async with runner.transaction() as tx:
        batch, held = write_behind(tx)
        async with keys.batch(held):
            key = await keys.key_for("subject-held")
            await batch.database["people"].insert_one({"_id": "p-held"})
        sent.clear()
        await held.flush()
        assert sent == ["bulkWrite"]  # the key and the document: one round trip
        assert await _outside_the_batch(keys.existing_key("subject-held")) is None  # uncommitted
    assert await keys.existing_key("subject-held") == key

    with pytest.raises(RuntimeError):
        async with runner.transaction() as tx:
            batch, held = write_behind(tx)
            async with keys.batch(held):
                await keys.key_for("subject-aborted")
                await batch.database["people"].insert_one({"_id": "p-aborted"})
            await held.flush()
            raise RuntimeError("the transaction failed after the flush")
    assert await keys.existing_key("subject-aborted") is None  # no key left behind
    assert await runner.database["people"].find_one({"_id": "p-aborted"}) is None
