"""Answering through HTTP: one response per invitation, expired links refused, comment sealed."""

from __future__ import annotations

import json
from datetime import timedelta
from email.message import EmailMessage
from uuid import uuid4

from services.surveys.domain import response_key_id
from shared import topics
from shared.crypto import SealedPersonalData, unseal
from shared.events.privacy import ErasureRequested, ErasureScope
from shared.events.surveys import ResponseComment
from tests.component.surveys.conftest import STAFF, Surveys, links
from tests.support.apps import eventually
from tests.support.kafka import read_topic


async def _invited(surveys: Surveys, **resolve: str) -> tuple[str, str, EmailMessage]:
    person, email = await surveys.register()
    request_id = await surveys.resolve(person, **resolve)
    surveys.clock.advance(timedelta(days=1))

    async def mail() -> list[EmailMessage]:
        return surveys.sink.to(email)

    [message] = await eventually(mail)
    return person, request_id, message


async def test_a_response_is_recorded_once_and_its_comment_travels_sealed(
    surveys: Surveys,
) -> None:
    organisation = f"org-{uuid4().hex[:8]}"
    comment = f"Quick and kind help {uuid4().hex[:6]}"
    person, request_id, mail = await _invited(
        surveys, channel="email", organisation_id=organisation
    )
    token = links(mail)["respond"]

    form = await surveys.http.get(f"/surveys/respond/{token}")
    assert form.status_code == 200
    assert 'name="score"' in form.text

    bad = await surveys.http.post(
        f"/surveys/respond/{token}",
        content=b"score=9",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "score"

    answered = await surveys.http.post(
        f"/surveys/respond/{token}",
        data={"score": "5", "comment": comment},
    )
    assert answered.status_code == 200, answered.text
    assert "Thank you" in answered.text

    again = await surveys.http.post(f"/surveys/respond/{token}", data={"score": "1"})
    assert again.status_code == 409
    again_json = await surveys.http.post("/surveys/responses", json={"token": token, "score": 2})
    assert again_json.status_code == 409
    assert (await surveys.http.get(f"/surveys/respond/{token}")).status_code == 409

    event = await eventually(lambda: _recorded(surveys, request_id), timeout=30)
    assert event["data"]["score"] == 5
    assert comment not in json.dumps(event)
    sealed = SealedPersonalData.model_validate(event["data"]["comment"])
    stored = await surveys.runtime.runner.database["responses"].find_one({"request_id": request_id})
    assert stored is not None and comment not in json.dumps(stored, default=str)
    # sealed with a key of its own: it follows its request, not its author's key (a response
    # kept with a customer's or a held request outlives the author's erasure) ...
    assert sealed.data_subject_id == response_key_id(stored["_id"]) != person
    assert await surveys.runtime.keys.shred(person)
    opened = await unseal(sealed, ResponseComment, keys=surveys.runtime.keys)
    assert opened is not None and opened.comment == comment

    results = await surveys.http.get(
        "/surveys/results",
        params={"since": (surveys.clock.now() - timedelta(days=1)).isoformat()},
        headers=STAFF,
    )
    assert results.status_code == 200
    body = results.json()
    assert body["overall"] == {"responses": 1, "satisfied": 1, "csat": 1.0}
    assert body["by_channel"]["email"]["csat"] == 1.0
    assert body["by_organisation"][organisation]["responses"] == 1
    assert surveys.metric("surveys_responses_total", channel="email", score="5") == 1

    async def gauges() -> tuple[float, float] | None:
        # a refresh sets the windows one after another: wait for both it is read in
        ratios = (
            surveys.metric(
                "surveys_csat_organisation_ratio", window="7d", organisation_id=organisation
            ),
            surveys.metric("surveys_csat_ratio", window="30d", channel="all"),
        )
        return ratios if all(ratios) else None

    assert await eventually(gauges) == (1.0, 1.0)

    # ... and goes with the response when its request is erased
    erasure_id, now = str(uuid4()), surveys.clock.now()
    scope = ErasureScope(kind="request", id=request_id)
    await surveys.publish(
        ErasureRequested(
            erasure_id=erasure_id,
            scope=scope,
            ground="inactivity",
            requested_at=now,
            deadline=now + timedelta(days=30),
        ),
        subject=erasure_id,
        time=now,
    )

    async def erased() -> bool:
        return await unseal(sealed, ResponseComment, keys=surveys.runtime.keys) is None

    assert await eventually(erased, timeout=30)
    assert (
        await surveys.runtime.runner.database["responses"].find_one({"_id": stored["_id"]}) is None
    )


async def test_an_expired_link_is_refused(surveys: Surveys) -> None:
    _person, _request_id, mail = await _invited(surveys)
    token = links(mail)["respond"]
    surveys.clock.advance(timedelta(days=15))  # past the 14-day link lifetime
    page = await surveys.http.get(f"/surveys/respond/{token}")
    assert page.status_code == 410
    refused = await surveys.http.post("/surveys/responses", json={"token": token, "score": 4})
    assert refused.status_code == 410
    assert refused.json()["status"] == "expired"
    assert await surveys.runtime.runner.database["responses"].count_documents({}) == 0


async def test_an_unknown_link_is_refused_and_a_json_answer_is_accepted(surveys: Surveys) -> None:
    unknown = await surveys.http.post("/surveys/responses", json={"token": "A" * 43, "score": 4})
    assert unknown.status_code == 404
    _person, _request_id, mail = await _invited(surveys)
    accepted = await surveys.http.post(
        "/surveys/responses", json={"token": links(mail)["respond"], "score": 3}
    )
    assert accepted.status_code == 201
    results = await surveys.http.get("/surveys/results", headers=STAFF)
    assert results.json()["overall"] == {"responses": 1, "satisfied": 0, "csat": 0.0}


async def _recorded(surveys: Surveys, request_id: str) -> dict[str, object] | None:
    bootstrap = surveys.runtime.settings.kafka_bootstrap_servers
    for record in await read_topic(bootstrap, topics.SURVEYS):
        event: dict[str, object] = json.loads(record.value)
        if event["type"] == "surveys.response.recorded.v1" and event["subject"] == request_id:
            return event
    return None
