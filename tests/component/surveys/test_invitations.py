"""A resolution becomes one invitation mail after the delay; reopening cancels it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from shared import topics
from tests.component.surveys.conftest import Surveys
from tests.support.apps import eventually


async def test_a_resolution_sends_exactly_one_invitation_after_the_delay(surveys: Surveys) -> None:
    person, email = await surveys.register()
    request_id = await surveys.resolve(person)
    [decision] = await surveys.decisions(request_id)
    assert decision["state"] == "scheduled"
    assert decision["reason"] == "scheduled"

    surveys.clock.advance(timedelta(hours=23, minutes=59))
    assert await surveys.dispatch() == 0
    assert surveys.sink.to(email) == []

    surveys.clock.advance(timedelta(minutes=1))
    [mail] = await eventually(lambda: _mails(surveys, email))
    assert mail["Message-ID"] is not None and "survey-" in mail["Message-ID"]
    assert mail["List-Unsubscribe"].startswith("<http://surveys.test/surveys/opt-out/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "http://surveys.test/surveys/respond/" in mail.get_content()
    assert await eventually(lambda: _state(surveys, request_id, "sent"))

    await asyncio.sleep(0.5)  # several dispatch rounds later: still one
    assert len(surveys.sink.to(email)) == 1
    assert surveys.metric("surveys_decisions_total", reason="sent") >= 1


async def test_a_redelivered_or_republished_resolution_still_sends_one_mail(
    surveys: Surveys,
) -> None:
    person, email = await surveys.register()
    request_id = await surveys.resolve(person)
    [decision] = await surveys.decisions(request_id)
    again = await surveys.status(
        request_id=request_id,
        requester_id=person,
        to_status="resolved",
        at=surveys.clock.now(),
    )  # same resolution, a new event id (republished)
    await surveys.send(topics.SUPPORT_REQUESTS, again)  # and that event redelivered
    marker = await surveys.resolve(person)  # after both, on another request of the same person
    assert await surveys.reason(marker) == "cooldown"
    assert [d["invitation_id"] for d in await surveys.decisions(request_id)] == [
        decision["invitation_id"]
    ]

    surveys.clock.advance(timedelta(hours=24))
    await eventually(lambda: _mails(surveys, email))
    await asyncio.sleep(0.5)
    assert len(surveys.sink.to(email)) == 1


async def test_reopened_before_the_delay_sends_nothing(surveys: Surveys) -> None:
    person, email = await surveys.register()
    resolved_at = surveys.clock.now()
    request_id = await surveys.resolve(person, at=resolved_at)
    await surveys.status(
        request_id=request_id,
        requester_id=person,
        from_status="resolved",
        to_status="open",
        at=resolved_at + timedelta(hours=3),
    )
    assert await eventually(lambda: _state(surveys, request_id, "cancelled"))
    assert await surveys.reason(request_id) == "reopened"

    surveys.clock.advance(timedelta(hours=48))
    assert await surveys.dispatch() == 0
    await asyncio.sleep(0.3)
    assert surveys.sink.to(email) == []
    assert surveys.metric("surveys_decisions_total", reason="reopened") >= 1


async def _mails(surveys: Surveys, email: str) -> list[object]:
    return list(surveys.sink.to(email))


async def _state(surveys: Surveys, request_id: str, state: str) -> bool:
    return any(d["state"] == state for d in await surveys.decisions(request_id))


async def test_an_invitation_the_relay_refuses_for_good_is_skipped_and_holds_no_other_up(
    surveys: Surveys,
) -> None:
    gone, gone_email = await surveys.register()
    other, other_email = await surveys.register()
    surveys.sink.handler.refuse.add(gone_email)
    refused = await surveys.resolve(gone)
    surveys.clock.advance(timedelta(minutes=1))
    delivered = await surveys.resolve(other)
    surveys.clock.advance(timedelta(days=1))

    await surveys.dispatch()  # the background task may take either round: no count here
    assert await eventually(lambda: _state(surveys, delivered, "sent"))
    assert await eventually(lambda: _state(surveys, refused, "skipped"))
    [decision] = await surveys.decisions(refused)
    assert decision["reason"] == "refused"
    await surveys.dispatch()
    assert len(surveys.sink.to(other_email)) == 1
    assert surveys.sink.to(gone_email) == []
    assert surveys.metric("surveys_decisions_total", reason="refused") == 1
