"""A unit of work that loses a write conflict runs again (`in_transaction`), against the real
store: the conflict is real, the retry sees the winner's write, and other failures are not
retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from pymongo.errors import DuplicateKeyError, OperationFailure

from shared.mongo import (
    Transaction,
    TransactionRunner,
    create_mongo_client,
    in_transaction,
    is_conflict,
)
from shared.settings import ServiceSettings
from shared.stores import unit_of_work_factory


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    yield TransactionRunner(client, settings.database_name)
    await client.close()


async def _hold_write(
    runner: TransactionRunner, doc_id: str, release: asyncio.Event, holding: asyncio.Event
) -> None:
    """Another writer: changes the document in a transaction and commits only on `release`."""
    async with runner.transaction() as tx:
        await tx.database["counters"].update_one(
            {"_id": doc_id}, {"$set": {"by_other": True}}, session=tx.session
        )
        holding.set()
        await release.wait()


async def test_a_unit_of_work_that_loses_a_write_conflict_runs_again_and_sees_the_winner(
    runner: TransactionRunner,
) -> None:
    doc_id = str(uuid4())
    await runner.database["counters"].insert_one({"_id": doc_id, "n": 0})
    release, holding = asyncio.Event(), asyncio.Event()
    other = asyncio.create_task(_hold_write(runner, doc_id, release, holding))
    await holding.wait()
    attempts: list[bool] = []

    async def work(tx: Transaction) -> int:
        if attempts:  # the first attempt lost; let the other writer commit before this one
            release.set()
            await other
        attempts.append(True)
        await tx.database["counters"].update_one(
            {"_id": doc_id}, {"$inc": {"n": 1}}, session=tx.session
        )
        found = await tx.database["counters"].find_one({"_id": doc_id}, session=tx.session)
        assert found is not None
        return int(found["n"])

    assert await in_transaction(runner.transaction, work) == 1
    assert len(attempts) == 2
    stored = await runner.database["counters"].find_one({"_id": doc_id})
    assert stored == {"_id": doc_id, "n": 1, "by_other": True}


async def test_a_conflict_that_outlasts_the_attempts_is_raised(runner: TransactionRunner) -> None:
    doc_id = str(uuid4())
    await runner.database["counters"].insert_one({"_id": doc_id, "n": 0})
    release, holding = asyncio.Event(), asyncio.Event()
    other = asyncio.create_task(_hold_write(runner, doc_id, release, holding))
    await holding.wait()
    attempts: list[bool] = []

    async def work(tx: Transaction) -> None:
        attempts.append(True)
        await tx.database["counters"].update_one(
            {"_id": doc_id}, {"$inc": {"n": 1}}, session=tx.session
        )

    try:
        with pytest.raises(OperationFailure) as raised:
            await in_transaction(runner.transaction, work, attempts=3)
    finally:
        release.set()
        await other
    assert is_conflict(raised.value)
    assert len(attempts) == 3
    assert await runner.database["counters"].find_one({"_id": doc_id}) == {
        "_id": doc_id,
        "n": 0,
        "by_other": True,
    }


async def test_failures_other_than_a_conflict_are_not_retried(runner: TransactionRunner) -> None:
    doc_id = str(uuid4())
    await runner.database["counters"].insert_one({"_id": doc_id})
    attempts: list[bool] = []

    async def work(tx: Transaction) -> None:
        attempts.append(True)
        await tx.database["counters"].insert_one({"_id": doc_id}, session=tx.session)

    with pytest.raises(DuplicateKeyError):
        await in_transaction(runner.transaction, work)
    assert len(attempts) == 1


async def test_a_conflict_met_by_held_writes_sent_together_runs_again(
    runner: TransactionRunner,
) -> None:
    """Held writes go to the store in one client-level bulkWrite, where a write conflict is a
    write error of the bulk, not the command's error: it is still a conflict, and the work runs
    again. As two web submissions from one new address: both register the person."""
    person = str(uuid4())
    for name in ("people", "requests"):  # collections are not created inside the transactions
        await runner.database[name].insert_one({"_id": f"{name}-{person}"})
    release, holding = asyncio.Event(), asyncio.Event()

    async def other_registers() -> None:
        async with runner.transaction() as tx:
            await tx.database["people"].insert_one(
                {"_id": person, "by": "other"}, session=tx.session
            )
            holding.set()
            await release.wait()

    other = asyncio.create_task(other_registers())
    await holding.wait()
    attempts: list[bool] = []
    unit_of_work = unit_of_work_factory(runner, lambda: None, lambda _db, tx: tx, held_writes=True)

    async def work(tx: Transaction) -> None:
        if attempts:  # the first attempt lost; let the other writer commit before this one
            release.set()
            await other
        attempts.append(True)
        if await tx.database["people"].find_one({"_id": person}) is None:
            await tx.database["people"].insert_one({"_id": person, "by": "us"})
        await tx.database["requests"].insert_one({"_id": f"{person}-{len(attempts)}"})

    try:
        await in_transaction(unit_of_work, work)
    finally:
        release.set()
        await other
    assert len(attempts) == 2
    assert await runner.database["people"].find_one({"_id": person}) == {
        "_id": person,
        "by": "other",
    }
    requests = runner.database["requests"].find({"_id": {"$regex": f"^{person}"}})
    assert [d["_id"] async for d in requests] == [f"{person}-2"]
