"""surveys' share of an erasure against the real store: what an organisation's or a person's
erasure deletes, what a hold keeps, and the subjects and counts it reports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.surveys.domain import SurveyKeys
from services.surveys.privacy import SurveysHoldings
from services.surveys.repository import CANDIDATES, INVITATIONS, RESPONSES, MongoSurveysUnitOfWork
from shared.clock import SystemClock
from shared.crypto import InMemoryKeyStore
from shared.erasure_progress import ErasureProgress
from shared.events.privacy import ErasureCompleted, ErasureRequested, ErasureScope
from shared.mongo import Transaction, TransactionRunner, create_mongo_client
from shared.participant import erase
from shared.settings import ServiceSettings


@pytest.fixture
async def runner(settings: ServiceSettings) -> AsyncIterator[TransactionRunner]:
    client = create_mongo_client(settings)
    yield TransactionRunner(client, settings.database_name)
    await client.close()


async def _seed(
    runner: TransactionRunner, organisation: str | None, people: list[str]
) -> list[str]:
    """One request per person in the organisation (or nobody's), each invited and answered."""
    requests = []
    for person in people:
        request_id = str(uuid4())
        requests.append(request_id)
        owner = {"organisation_id": organisation, "requester_id": person}
        await runner.database[CANDIDATES].insert_one({"_id": request_id, **owner})
        for name in (INVITATIONS, RESPONSES):
            await runner.database[name].insert_one(
                {"_id": str(uuid4()), "request_id": request_id, **owner}
            )
    return requests


async def _part(
    tx: Transaction, kind: str, scope_id: str, *, keep: tuple[str, ...], erasure_id: str
) -> ErasureCompleted:
    """surveys' part of an erasure, as its consumer runs it (shared/participant.py)."""
    now = datetime.now(UTC)
    requested = ErasureRequested(
        erasure_id=erasure_id,
        scope=ErasureScope(kind=kind, id=scope_id, keep_request_ids=keep),  # type: ignore[arg-type]
        ground="data_subject_request",
        requested_at=now,
        deadline=now,
    )
    holdings = SurveysHoldings(
        MongoSurveysUnitOfWork(tx.database, tx),
        keys=InMemoryKeyStore(),
        secrets=SurveyKeys(b"h", b"l"),
        clock=SystemClock(),
    )
    notes = ErasureProgress(tx.database, erasure_id, now=now)
    return await erase(
        requested, participant="surveys", holdings=holdings, notes=notes, now=SystemClock().now
    )


async def _erase(
    runner: TransactionRunner,
    kind: str,
    scope_id: str,
    *,
    keep: tuple[str, ...] = (),
    erasure_id: str | None = None,
) -> tuple[dict[str, int], set[str]]:
    async with runner.transaction() as tx:
        completed = await _part(
            tx, kind, scope_id, keep=keep, erasure_id=erasure_id or str(uuid4())
        )
    assert completed.nothing_left, completed.remaining
    counts = {k: v for k, v in completed.counts.items() if k != "contacts"}
    return counts, set(completed.data_subject_ids)


class Crash(Exception):
    pass


async def _left(runner: TransactionRunner, request_ids: list[str]) -> dict[str, int]:
    database = runner.database
    return {
        "requests": await database[CANDIDATES].count_documents({"_id": {"$in": request_ids}}),
        "invitations": await database[INVITATIONS].count_documents(
            {"request_id": {"$in": request_ids}}
        ),
        "responses": await database[RESPONSES].count_documents(
            {"request_id": {"$in": request_ids}}
        ),
    }


async def test_an_organisation_erasure_deletes_all_but_the_held_request(
    runner: TransactionRunner,
) -> None:
    organisation, other = str(uuid4()), str(uuid4())
    people = [str(uuid4()) for _ in range(3)]
    requests = await _seed(runner, organisation, people)
    untouched = await _seed(runner, other, [str(uuid4())])
    held = requests[0]
    counts, subjects = await _erase(runner, "organisation", organisation, keep=(held,))
    assert counts == {"requests": 2, "invitations": 2, "responses": 2}
    assert subjects == set(people[1:])
    assert await _left(runner, requests) == {"requests": 1, "invitations": 1, "responses": 1}
    assert await _left(runner, [held]) == {"requests": 1, "invitations": 1, "responses": 1}
    assert await _left(runner, untouched) == {"requests": 1, "invitations": 1, "responses": 1}


async def test_a_person_erasure_deletes_only_that_persons_copies(
    runner: TransactionRunner,
) -> None:
    organisation = str(uuid4())
    person, colleague = str(uuid4()), str(uuid4())
    theirs = await _seed(runner, None, [person, person])
    customers = await _seed(runner, organisation, [person])  # kept with the customer (P7)
    others = await _seed(runner, None, [colleague])
    counts, subjects = await _erase(runner, "person", person)
    assert counts == {"requests": 2, "invitations": 2, "responses": 2}
    assert subjects == {person}
    assert await _left(runner, theirs) == {"requests": 0, "invitations": 0, "responses": 0}
    assert await _left(runner, customers) == {"requests": 1, "invitations": 1, "responses": 1}
    assert await _left(runner, others) == {"requests": 1, "invitations": 1, "responses": 1}


async def test_an_erasure_redone_after_its_transaction_was_lost_reports_the_first_runs_work(
    runner: TransactionRunner,
) -> None:
    """The deletes happen outside the handler's transaction; when that transaction is lost (a
    crash, or a purge past the store's transaction lifetime) the redo finds nothing left, and
    must still report what was deleted and whose data it was."""
    organisation = str(uuid4())
    people = [str(uuid4()) for _ in range(3)]
    requests = await _seed(runner, organisation, people)
    erasure_id = str(uuid4())
    with pytest.raises(Crash):
        async with runner.transaction() as tx:
            await _part(tx, "organisation", organisation, keep=(), erasure_id=erasure_id)
            raise Crash  # the completion never commits
    assert await _left(runner, requests) == {"requests": 0, "invitations": 0, "responses": 0}

    counts, subjects = await _erase(runner, "organisation", organisation, erasure_id=erasure_id)
    assert counts == {"requests": 3, "invitations": 3, "responses": 3}
    assert subjects == set(people)
