"""What the services ask of their MongoDB-protocol store, checked against whichever store this
run uses (SecantusDB's Rust server by default, its Python server, a Docker `mongo`, or
TEST_MONGODB_URL): a store that passes can run the services. Each check names who relies on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pymongo import ASCENDING, DESCENDING, InsertOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.mongo import TransactionRunner, create_mongo_client, is_conflict
from shared.settings import ServiceSettings

Document = dict[str, Any]


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    yield TransactionRunner(client, f"{settings.database_name}_capabilities")
    await client.drop_database(f"{settings.database_name}_capabilities")
    await client.close()


async def made(database: AsyncDatabase[Document], name: str) -> None:
    """Collections exist before transactions write them (the services make them at start)."""
    await database.create_collection(name)


async def test_a_replica_set_primary_answers_hello(runner: TransactionRunner) -> None:
    """Transactions (every unit of work) need a replica set member that takes writes."""
    hello = await runner.database.client.admin.command("hello")
    assert hello.get("isWritablePrimary") is True
    assert hello.get("setName"), "not a replica set: no transactions"
    assert hello.get("logicalSessionTimeoutMinutes"), "no sessions"


async def test_a_transaction_commits_all_or_nothing(runner: TransactionRunner) -> None:
    """State, outbox and inbox commit together (shared.mongo.Transaction)."""
    await made(runner.database, "state")
    await made(runner.database, "outbox")
    with pytest.raises(RuntimeError):
        async with runner.transaction() as tx:
            await tx.database["state"].insert_one({"_id": "a"}, session=tx.session)
            await tx.database["outbox"].insert_one({"_id": "a"}, session=tx.session)
            raise RuntimeError("the handler failed")
    assert await runner.database["state"].count_documents({}) == 0
    assert await runner.database["outbox"].count_documents({}) == 0
    async with runner.transaction() as tx:
        await tx.database["state"].insert_one({"_id": "b"}, session=tx.session)
        await tx.database["outbox"].bulk_write(  # write-behind flushes in one bulk_write
            [InsertOne({"_id": "b1"}), UpdateOne({"_id": "b1"}, {"$set": {"sent": False}})],
            ordered=True,
            session=tx.session,
        )
        assert await runner.database["state"].count_documents({}) == 0, "seen before commit"
    assert await runner.database["outbox"].find_one({"_id": "b1"}) == {"_id": "b1", "sent": False}


async def test_two_transactions_writing_one_document_conflict_transiently(
    runner: TransactionRunner,
) -> None:
    """The loser of a write conflict is retried (shared.mongo.in_transaction)."""
    await runner.database["counters"].insert_one({"_id": "c", "n": 0})
    async with runner.transaction() as first:
        await first.database["counters"].update_one(
            {"_id": "c"}, {"$inc": {"n": 1}}, session=first.session
        )
        with pytest.raises(OperationFailure) as lost:
            async with runner.transaction() as second:
                await second.database["counters"].update_one(
                    {"_id": "c"}, {"$inc": {"n": 1}}, session=second.session
                )
        assert is_conflict(lost.value)
        assert lost.value.has_error_label("TransientTransactionError")
    assert (await runner.database["counters"].find_one({"_id": "c"}) or {})["n"] == 1


async def test_a_plain_write_waits_for_a_transaction_holding_its_document(
    runner: TransactionRunner,
) -> None:
    """An erasure's mark waits for a copy being made under the same id's guard
    (shared.erasure_progress; tests/component/test_erasure_guard.py shows the whole race)."""
    await made(runner.database, "guards")
    async with runner.transaction() as tx:
        await tx.database["guards"].update_one(
            {"_id": "p"}, {"$max": {"seen_at": datetime.now(UTC)}}, upsert=True, session=tx.session
        )
        mark = asyncio.create_task(
            runner.database["guards"].update_one(
                {"_id": "p"}, {"$min": {"erased_at": datetime.now(UTC)}}, upsert=True
            )
        )
        await asyncio.sleep(0.3)
        assert not mark.done()
    await mark
    assert set(await runner.database["guards"].find_one({"_id": "p"}) or {}) == {
        "_id",
        "seen_at",
        "erased_at",
    }


async def test_marks_in_one_unordered_bulk_write_upsert_and_wait_for_a_holding_transaction(
    runner: TransactionRunner,
) -> None:
    """A purge marks its people in one unordered `bulk_write` of upserts
    (shared.erasure_progress.mark_all): new ones are made, and one held waits for its holder."""
    await made(runner.database, "guards")
    async with runner.transaction() as tx:
        await tx.database["guards"].update_one(
            {"_id": "held"},
            {"$max": {"seen_at": datetime.now(UTC)}},
            upsert=True,
            session=tx.session,
        )
        change = {"$min": {"erased_at": datetime.now(UTC)}}
        marks = asyncio.create_task(
            runner.database["guards"].bulk_write(
                [UpdateOne({"_id": key}, change, upsert=True) for key in ("held", "new")],
                ordered=False,
            )
        )
        await asyncio.sleep(0.3)
        assert not marks.done()
    assert (await marks).upserted_count == 1
    marked = await runner.database["guards"].find({}, {"_id": 1, "erased_at": 1}).to_list()
    assert {m["_id"] for m in marked if "erased_at" in m} == {"held", "new"}


async def test_unique_compound_sparse_and_ttl_indexes(runner: TransactionRunner) -> None:
    """Idempotency keys (unique), the outbox's order (compound), token hashes (sparse), kept
    records' expiry (TTL)."""
    things = runner.database["things"]
    await things.create_index("key", unique=True)
    await things.create_index([("sent_at", ASCENDING), ("queued_at", ASCENDING)])
    await things.create_index("token_hash", sparse=True, unique=True)
    await things.create_index("at", expireAfterSeconds=3600)
    indexes = await things.index_information()
    assert indexes["at_1"]["expireAfterSeconds"] == 3600
    assert indexes["token_hash_1"].get("sparse") is True
    assert indexes["sent_at_1_queued_at_1"]["key"] == [("sent_at", 1), ("queued_at", 1)]
    await things.insert_many([{"key": 1}, {"key": 2}])  # no token_hash: the sparse one allows it
    with pytest.raises(DuplicateKeyError):
        await things.insert_one({"key": 1})


async def test_the_query_shapes_the_services_use(runner: TransactionRunner) -> None:
    """Ranges, $in/$nin, $or/$and, $exists, sorted and limited finds, counting with a limit,
    distinct, and an aggregation: what the read models, relays and purges send."""
    items = runner.database["items"]
    await items.create_index([("organisation_id", ASCENDING), ("received_at", DESCENDING)])
    now = datetime.now(UTC).replace(microsecond=0)
    await items.insert_many(
        [
            {
                "_id": f"r{n}",
                "organisation_id": f"org-{n % 3}",
                "received_at": now - timedelta(minutes=n),
                "requester_id": f"p{n % 5}",
                **({"resolved_at": now} if n % 2 else {}),
            }
            for n in range(30)
        ]
    )
    newest = await (
        items.find({"organisation_id": "org-1", "received_at": {"$lte": now}})
        .sort([("received_at", DESCENDING), ("_id", DESCENDING)])
        .limit(3)
        .to_list()
    )
    assert [d["_id"] for d in newest] == ["r1", "r4", "r7"]
    either = {"$or": [{"organisation_id": "org-0"}, {"requester_id": {"$in": ["p1"]}}]}
    assert await items.count_documents(either) == 10 + 6 - 2
    both = {"$and": [{"organisation_id": {"$nin": ["org-0"]}}, {"resolved_at": {"$exists": True}}]}
    assert await items.count_documents(both) == 10
    assert await items.count_documents({"organisation_id": "org-2"}, limit=1) == 1
    assert sorted(await items.distinct("requester_id", {"organisation_id": "org-0"})) == [
        "p0",
        "p1",
        "p2",
        "p3",
        "p4",
    ]
    grouped = await (
        await items.aggregate(
            [
                {"$match": {"resolved_at": {"$exists": True}}},
                {"$group": {"_id": "$organisation_id", "count": {"$sum": 1}}},
                {"$sort": {"_id": 1}},
            ]
        )
    ).to_list()
    assert grouped == [{"_id": f"org-{n}", "count": 5} for n in range(3)]


async def test_updates_and_deletes_the_services_use(runner: TransactionRunner) -> None:
    """Upserts returning the document, $setOnInsert/$min/$max/$inc/$addToSet/$push/$unset, and
    deletes by a long $in list (purges delete by id chunks)."""
    people = runner.database["people"]
    found = await people.find_one_and_update(
        {"_id": "p"},
        {"$setOnInsert": {"created": 1}, "$max": {"seen": 5}, "$inc": {"n": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert found == {"_id": "p", "created": 1, "seen": 5, "n": 1}
    await people.update_one(
        {"_id": "p"},
        {
            "$setOnInsert": {"created": 2},
            "$min": {"first": 3},
            "$max": {"seen": 4},
            "$addToSet": {"ids": {"$each": ["a", "b", "a"]}},
            "$push": {"log": "x"},
            "$unset": {"n": ""},
        },
        upsert=True,
    )
    assert await people.find_one({"_id": "p"}) == {
        "_id": "p",
        "created": 1,
        "seen": 5,
        "first": 3,
        "ids": ["a", "b"],
        "log": ["x"],
    }
    ids = [str(uuid4()) for _ in range(2_000)]
    await people.insert_many([{"_id": i} for i in ids])
    deleted = await people.delete_many({"_id": {"$in": ids[:1_500]}})
    assert deleted.deleted_count == 1_500
    assert await people.count_documents({}) == 1 + 500
