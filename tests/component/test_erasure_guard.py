"""An erasure and a copy made at the same moment, on the real store: the check that the person
(or request) was not erased holds until the copying transaction commits, so the copy is either
never made or found by the erasure's deletes (P11: nothing outlives the certificate).

The race was seen in the real layer: a caller's year-old request erased right after its
announcement, while access was still making the caller's account from the contact's
registration; the account was committed after the erasure had counted nothing left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from shared.erasure_progress import ErasureProgress, create_indexes, was_person_erased
from shared.mongo import Transaction, TransactionRunner, create_mongo_client, in_transaction
from shared.settings import ServiceSettings


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    runner = TransactionRunner(client, settings.database_name)
    await create_indexes(runner.database)  # the services make their collections at start
    await runner.database.create_collection("accounts")
    yield runner
    await client.close()


async def erase_person(runner: TransactionRunner, person: str) -> int:
    """An erasure's steps, outside any transaction: mark the person, then delete their copies."""
    notes = ErasureProgress(runner.database, str(uuid4()), now=datetime.now(UTC))
    await notes.persons_erased([person])
    deleted = await runner.database["accounts"].delete_many({"_id": person})
    return deleted.deleted_count


async def test_an_erasure_during_a_copy_waits_for_its_commit_and_deletes_the_copy(
    runner: TransactionRunner,
) -> None:
    person = str(uuid4())
    async with runner.transaction() as tx:
        assert not await was_person_erased(tx.database, person, session=tx.session)
        await tx.database["accounts"].insert_one({"_id": person}, session=tx.session)
        erasure = asyncio.create_task(erase_person(runner, person))
        await asyncio.sleep(0.5)
        # a plain read would have let the erasure mark, delete nothing and finish by now
        assert not erasure.done()
    assert await erasure == 1
    assert await runner.database["accounts"].count_documents({"_id": person}) == 0


async def test_a_copy_that_loses_to_an_erasure_runs_again_and_makes_nothing(
    runner: TransactionRunner,
) -> None:
    person = str(uuid4())
    attempts: list[bool] = []

    async def register(tx: Transaction) -> bool:
        attempts.append(True)
        if len(attempts) == 1:  # the transaction's snapshot is taken, then the erasure commits
            await tx.database["accounts"].find_one({"_id": "anything"}, session=tx.session)
            assert await erase_person(runner, person) == 0
        if await was_person_erased(tx.database, person, session=tx.session):
            return False
        await tx.database["accounts"].insert_one({"_id": person}, session=tx.session)
        return True

    assert await in_transaction(runner.transaction, register) is False
    assert len(attempts) == 2  # the first attempt's check conflicted with the erasure's mark
    assert await runner.database["accounts"].count_documents({"_id": person}) == 0


async def test_progress_notes_what_was_deleted_and_reports_what_was_not_as_none(
    runner: TransactionRunner,
) -> None:
    """A collection an erasure found nothing in is reported as 0 deleted without a write of its
    own (a person's erasure touches a dozen collections, most of them empty for that person);
    what was deleted is noted in the store, where a redo of the erasure finds it."""
    erasure = str(uuid4())
    notes = ErasureProgress(runner.database, erasure, now=datetime.now(UTC))
    assert await notes.deleted("attachments", 0) == 0
    assert (await notes.so_far())[0] == {"attachments": 0}
    progress = runner.database["erasure_progress"]
    assert await progress.count_documents({"_id": erasure}) == 0  # nothing written for it
    assert await notes.deleted("messages", 3) == 3
    assert (await notes.so_far())[0] == {"attachments": 0, "messages": 3}
    redo = ErasureProgress(runner.database, erasure, now=datetime.now(UTC))
    await redo.deleted("messages", 0)  # the first run deleted them all
    assert (await redo.so_far())[0] == {"messages": 3}
