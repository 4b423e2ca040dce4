"""Who is not surveyed, and why: every skip is recorded with its reason and counted."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from uuid import uuid4

from services.surveys.domain import is_sampled
from shared import topics
from shared.events.privacy import ErasureRequested, ErasureScope
from tests.component.surveys.conftest import STAFF, StartSurveys, Surveys, links
from tests.support.apps import eventually
from tests.support.kafka import read_topic


async def test_one_survey_per_person_per_cooldown(surveys: Surveys) -> None:
    person, email = await surveys.register()
    first = await surveys.resolve(person)
    assert await surveys.reason(first) == "scheduled"
    surveys.clock.advance(timedelta(days=5))
    second = await surveys.resolve(person)
    assert await surveys.reason(second) == "cooldown"
    await eventually(lambda: _count_is(surveys, email, 1))

    surveys.clock.advance(timedelta(days=31))
    third = await surveys.resolve(person)
    assert await surveys.reason(third) == "scheduled"
    surveys.clock.advance(timedelta(days=2))
    await eventually(lambda: _count_is(surveys, email, 2))
    assert surveys.metric("surveys_decisions_total", reason="cooldown") >= 1


async def _count_is(surveys: Surveys, email: str, expected: int) -> bool:
    return len(surveys.sink.to(email)) == expected


async def test_sampling_is_seeded_and_recorded(start_surveys: StartSurveys) -> None:
    seed = "test-seed"
    ids = [str(uuid4()) for _ in range(40)]
    chosen = [i for i in ids if is_sampled(request_id=i, rate=0.5, seed=seed)]
    passed_over = [i for i in ids if i not in chosen]
    assert chosen and passed_over  # 40 draws at 0.5: both kinds occur
    async with start_surveys(SURVEYS_SAMPLE_RATE=0.5, SURVEYS_SAMPLE_SEED=seed) as surveys:
        in_person, _ = await surveys.register()
        out_person, out_email = await surveys.register()
        assert await surveys.reason(await surveys.resolve(in_person, request_id=chosen[0])) == (
            "scheduled"
        )
        skipped = await surveys.resolve(out_person, request_id=passed_over[0])
        assert await surveys.reason(skipped) == "not_sampled"
        surveys.clock.advance(timedelta(days=2))
        await surveys.dispatch()
        await asyncio.sleep(0.3)
        assert surveys.sink.to(out_email) == []
        assert surveys.metric("surveys_decisions_total", reason="not_sampled") >= 1


async def test_an_opted_out_person_is_never_surveyed_again(surveys: Surveys) -> None:
    person, email = await surveys.register()
    await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))
    [mail] = await eventually(lambda: _mails(surveys, email))

    page = await surveys.http.get(f"/surveys/opt-out/{links(mail)['opt_out']}")
    assert page.status_code == 200
    assert "Stop surveys" in page.text
    one_click = await surveys.http.post(
        f"/surveys/opt-out/{links(mail)['opt_out']}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert one_click.status_code == 200
    assert surveys.metric("surveys_opt_outs_total") == 1

    surveys.clock.advance(timedelta(days=60))
    later = await surveys.resolve(person)
    assert await surveys.reason(later) == "opted_out"
    surveys.clock.advance(timedelta(days=2))
    await surveys.dispatch()
    assert len(surveys.sink.to(email)) == 1
    assert surveys.metric("surveys_decisions_total", reason="opted_out") >= 1

    unknown = await surveys.http.post("/surveys/opt-out/" + "x" * 43)
    assert unknown.status_code == 404


async def test_an_erased_person_is_never_surveyed_and_the_opt_out_outlives_erasure(
    surveys: Surveys,
) -> None:
    person, email = await surveys.register()
    await surveys.resolve(person)
    surveys.clock.advance(timedelta(days=1))
    [mail] = await eventually(lambda: _mails(surveys, email))
    opted = await surveys.http.post(f"/surveys/opt-out/{links(mail)['opt_out']}")
    assert opted.status_code == 200
    opt_outs_before = await surveys.runtime.runner.database["opt_outs"].count_documents({})

    erasure_id = str(uuid4())
    now = surveys.clock.now()
    await surveys.publish(
        ErasureRequested(
            erasure_id=erasure_id,
            scope=ErasureScope(kind="person", id=person),
            ground="data_subject_request",
            requested_at=now,
            deadline=now + timedelta(days=30),
        ),
        subject=erasure_id,
        time=now,
    )
    completed = await eventually(lambda: _completion(surveys, erasure_id), timeout=30)
    assert completed["participant"] == "surveys"
    assert completed["data_subject_ids"] == [person]
    assert completed["counts"]["contacts"] == 1
    assert completed["counts"]["invitations"] == 1
    assert await surveys.document("contacts", person) is None
    database = surveys.runtime.runner.database
    assert await database["invitations"].count_documents({"requester_id": person}) == 0
    # the opt-out stays, as a keyed hash with nothing that names or reaches the person
    assert await database["opt_outs"].count_documents({}) == opt_outs_before
    stored = json.dumps(await database["opt_outs"].find().to_list(), default=str)
    assert email not in stored and person not in stored

    surveys.clock.advance(timedelta(days=60))
    later = await surveys.resolve(person)
    assert await surveys.reason(later) == "erased"
    surveys.clock.advance(timedelta(days=2))
    await surveys.dispatch()
    assert len(surveys.sink.to(email)) == 1
    assert surveys.metric("surveys_decisions_total", reason="erased") >= 1


async def test_unregistered_people_and_spam_or_duplicates_are_not_surveyed(
    surveys: Surveys,
) -> None:
    stranger = str(uuid4())
    assert await surveys.reason(await surveys.resolve(stranger)) == "not_registered"
    person, email = await surveys.register()
    spam = await surveys.resolve(person, resolution="spam")
    duplicate = await surveys.resolve(person, resolution="duplicate")
    assert await surveys.reason(spam) == "excluded_resolution"
    assert await surveys.reason(duplicate) == "excluded_resolution"
    surveys.clock.advance(timedelta(days=2))
    await surveys.dispatch()
    assert surveys.sink.to(email) == []
    metrics = await surveys.http.get("/metrics")
    assert 'surveys_decisions_total{reason="excluded_resolution"}' in metrics.text
    assert 'surveys_decisions_total{reason="not_registered"}' in metrics.text
    forbidden = await surveys.http.get("/surveys/decisions", params={"request_id": spam})
    assert forbidden.status_code == 401
    allowed = await surveys.http.get(
        "/surveys/decisions", params={"request_id": spam}, headers=STAFF
    )
    assert allowed.status_code == 200


async def test_a_resolution_read_before_the_registration_is_decided_again(
    surveys: Surveys,
) -> None:
    person = str(uuid4())
    resolved = await surveys.resolve(person)
    assert await surveys.reason(resolved) == "not_registered"
    _, email = await surveys.register(contact_id=person)
    await eventually(lambda: _reason_is(surveys, resolved, "scheduled"))
    surveys.clock.advance(timedelta(days=2))
    await surveys.dispatch()
    await eventually(lambda: _count_is(surveys, email, 1))


async def _reason_is(surveys: Surveys, request_id: str, reason: str) -> bool:
    return await surveys.reason(request_id) == reason


async def _mails(surveys: Surveys, email: str) -> list[object]:
    return list(surveys.sink.to(email))


async def _completion(surveys: Surveys, erasure_id: str) -> dict[str, object] | None:
    bootstrap = surveys.runtime.settings.kafka_bootstrap_servers
    for record in await read_topic(bootstrap, topics.PRIVACY_ERASURE):
        event = json.loads(record.value)
        if event["type"] == "privacy.erasure.completed.v1" and event["subject"] == erasure_id:
            data: dict[str, object] = event["data"]
            return data
    return None
