"""An erasure and a copy made at the same moment, on the real store: the check that the person
(or request) was not erased holds until the copying transaction commits, so the copy is either
never made or found by the erasure's deletes (P11: nothing outlives the certificate). This holds
too when a batch's checks were read ahead together (`hold_all`).

The race was seen in the real layer: a caller's year-old request erased right after its
announcement, while access was still making the caller's account from the contact's
registration; the account was committed after the erasure had counted nothing left."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pymongo import AsyncMongoClient

from shared.erasure_progress import (
    ERASED_PERSONS,
    ErasureProgress,
    create_indexes,
    erased_at,
    hold_all,
    was_person_erased,
)
from shared.events import CloudEvent
from shared.events.intake import OrganisationChanged
from shared.mongo import Transaction, TransactionRunner, create_mongo_client, in_transaction
from shared.read_ahead import hold_purge_checks
from shared.settings import ServiceSettings
from shared.write_behind import write_behind
from tests.support.commands import CommandNames


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    runner = TransactionRunner(client, settings.database_name)
    await create_indexes(runner.database)  # the services make their collections at start
    await runner.database.create_collection("accounts")
    yield runner
    await client.close()


@pytest.fixture
async def counted(settings: ServiceSettings) -> AsyncIterator[tuple[TransactionRunner, list[str]]]:
    """A runner on the same database whose client reports every command it sends, by name."""
    commands = CommandNames()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, event_listeners=[commands]
    )
    yield TransactionRunner(client, settings.database_name), commands.names
    await client.close()


async def erase_person(runner: TransactionRunner, person: str) -> int:
    """An erasure's steps, outside any transaction: mark the person, then delete their copies."""
    notes = ErasureProgress(runner.database, str(uuid4()), now=datetime.now(UTC))
    await notes.persons_erased([person])
    deleted = await runner.database["accounts"].delete_many({"_id": person})
    return deleted.deleted_count


async def checked(tx: Transaction, person: str, *, read_ahead: bool) -> bool:
    """Whether the person was erased, checked as one event's handler does, or (`read_ahead`) as
    in a batch whose preparer read the checks of it and of someone else ahead."""
    if read_ahead:
        tx, _held = write_behind(tx)
        await hold_all(tx, ERASED_PERSONS, [person, str(uuid4())])
    return await was_person_erased(tx.database, person, session=tx.session)


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_an_erasure_during_a_copy_waits_for_its_commit_and_deletes_the_copy(
    runner: TransactionRunner, read_ahead: bool
) -> None:
    person = str(uuid4())
    async with runner.transaction() as tx:
        assert not await checked(tx, person, read_ahead=read_ahead)
        await tx.database["accounts"].insert_one({"_id": person}, session=tx.session)
        erasure = asyncio.create_task(erase_person(runner, person))
        await asyncio.sleep(0.5)
        # a plain read would have let the erasure mark, delete nothing and finish by now
        assert not erasure.done()
    assert await erasure == 1
    assert await runner.database["accounts"].count_documents({"_id": person}) == 0


@pytest.mark.parametrize("read_ahead", [False, True])
async def test_a_copy_that_loses_to_an_erasure_runs_again_and_makes_nothing(
    runner: TransactionRunner, read_ahead: bool
) -> None:
    person = str(uuid4())
    attempts: list[bool] = []

    async def register(tx: Transaction) -> bool:
        attempts.append(True)
        if len(attempts) == 1:  # the transaction's snapshot is taken, then the erasure commits
            await tx.database["accounts"].find_one({"_id": "anything"}, session=tx.session)
            assert await erase_person(runner, person) == 0
        if await checked(tx, person, read_ahead=read_ahead):
            return False
        await tx.database["accounts"].insert_one({"_id": person}, session=tx.session)
        return True

    assert await in_transaction(runner.transaction, register) is False
    assert len(attempts) == 2  # the first attempt's check conflicted with the erasure's mark
    assert await runner.database["accounts"].count_documents({"_id": person}) == 0


async def test_a_batch_reads_its_checks_ahead_in_two_round_trips_and_answers_each_from_them(
    counted: tuple[TransactionRunner, list[str]], runner: TransactionRunner
) -> None:
    erased, new, again = str(uuid4()), str(uuid4()), str(uuid4())
    assert await erase_person(runner, erased) == 0
    counted_runner, commands = counted
    async with counted_runner.transaction() as tx:
        batch, _held = write_behind(tx)
        await hold_all(batch, ERASED_PERSONS, [erased, new, again])
        assert commands == ["update", "find"]
        # as the stores ask: through the database of one of their collections
        database = batch.database["accounts"].database
        answers = [
            await was_person_erased(database, person, session=tx.session)
            for person in (erased, new, again)
        ]
        assert commands == ["update", "find"]  # answered from what was read ahead
        await batch.database[ERASED_PERSONS].update_one({"_id": again}, {"$set": {"x": 1}})
        assert not await was_person_erased(batch.database, again, session=tx.session)
        assert commands[-1] == "findAndModify"  # a write since: asked again
    assert answers == [True, False, False]
    stamped = runner.database[ERASED_PERSONS].find({"_id": {"$in": [new, again]}})
    assert len(await stamped.to_list()) == 2  # the checks were written, as one at a time are


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


async def purge_organisation(runner: TransactionRunner, organisation: str) -> int:
    """An organisation's purge, outside any transaction: mark it, then delete its members."""
    notes = ErasureProgress(runner.database, str(uuid4()), now=datetime.now(UTC))
    await notes.organisation_erased(organisation)
    members = await runner.database["members"].delete_many({"organisation_id": organisation})
    return members.deleted_count


async def test_a_statement_about_an_organisations_people_holds_against_its_purge(
    runner: TransactionRunner,
) -> None:
    """P7: a CRM statement applied while the organisation is purged is either deleted by the
    purge (the purge waits for it) or, run again after the purge, sees it and its time."""
    organisation, stated_at = str(uuid4()), datetime.now(UTC)
    async with runner.transaction() as tx:
        erased = await erased_at(tx.database, organisation_id=organisation, session=tx.session)
        assert erased is None
        member = {"organisation_id": organisation, "stated_at": stated_at}
        await tx.database["members"].insert_one(member, session=tx.session)
        purge = asyncio.create_task(purge_organisation(runner, organisation))
        await asyncio.sleep(0.5)
        assert not purge.done()  # its mark waits for the statement's commit
    assert await purge == 1

    later, tries = str(uuid4()), []  # another organisation, purged while a statement is applied

    async def state_again(tx: Transaction) -> datetime | None:
        tries.append(True)
        if len(tries) == 1:  # the snapshot is taken, then the purge commits its mark
            await tx.database["members"].find_one({"_id": "anything"}, session=tx.session)
            assert await purge_organisation(runner, later) == 0
        return await erased_at(tx.database, organisation_id=later, session=tx.session)

    purged_at = await in_transaction(runner.transaction, state_again)
    assert len(tries) == 2  # the first attempt's check conflicted with the purge's mark
    assert purged_at is not None and stated_at <= purged_at  # the statement is older news


async def test_a_batch_of_decisions_reads_its_purge_checks_ahead(
    counted: tuple[TransactionRunner, list[str]], runner: TransactionRunner
) -> None:
    """retention's and surveys' batches of request events: the purge check of every organisation
    a decision names is stamped and read together, so a decision neither asks on its own nor
    flushes the batch's held writes to ask."""
    purged, live = str(uuid4()), str(uuid4())
    assert await purge_organisation(runner, purged) == 0
    at = datetime.now(UTC)
    decisions = [
        CloudEvent.of(
            source="/support/intake",
            type=OrganisationChanged.event_type,
            subject=f"request-{n}",
            time=at,
            data=OrganisationChanged(
                request_id=f"request-{n}",
                requester_id="contact-1",
                channel="web",
                organisation_id=organisation,
                lawful_basis="contract",
                version=1,
                changed_at=at,
            ),
        )
        for n, organisation in enumerate([purged, live, purged])
    ]
    counted_runner, commands = counted
    async with counted_runner.transaction() as tx:
        batch, _held = write_behind(tx)
        await hold_purge_checks(decisions, batch)
        assert commands == ["update", "find"]
        database = batch.database["retention_clocks"].database
        answers = [
            await erased_at(database, organisation_id=o, session=tx.session) for o in (purged, live)
        ]
        assert commands == ["update", "find"]  # answered from what was read ahead
    assert answers[0] is not None and answers[0] <= datetime.now(UTC)
    assert answers[1] is None
