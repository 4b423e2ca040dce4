"""P11 over HTTP on real Kafka and storage: export, and erasure with what is kept and why."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from pydantic import BaseModel

from services.retention.settings import RetentionSettings
from shared import topics
from shared.clock import FixedClock
from shared.crypto import seal
from shared.events import CloudEvent
from shared.events.privacy import ExportContributed
from shared.service import ServiceRuntime
from shared.tokens import KeyRing, issue_token
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.retention import (
    STAFF,
    complete_as,
    erasure_requests,
    publish,
    seen_request,
)


class IntakeRecords(BaseModel):
    requests: list[dict[str, str]]


def requester_headers(app: FastAPI, person: str, clock: FixedClock) -> dict[str, str]:
    runtime: ServiceRuntime = app.state.runtime
    settings = runtime.settings
    assert isinstance(settings, RetentionSettings)
    ring = KeyRing.parse(settings.token_signing_keys.get_secret_value())
    # tokens are checked against the wall clock, not the service's test clock
    token = issue_token(
        person, "requester", keys=ring, now=datetime.now(UTC), lifetime=timedelta(minutes=10)
    )
    return {"Authorization": f"Bearer {token}"}


async def test_export_holds_the_persons_data_from_every_answer_and_nobody_elses(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    mine, person = await seen_request(retention_app, producer, http, clock)
    theirs, other = await seen_request(retention_app, producer, http, clock)

    asked = await http.post(
        "/privacy/exports",
        headers=requester_headers(retention_app, person, clock),
        json={"data_subject_id": person},
    )
    assert asked.status_code == 202, asked.text
    export_id = asked.json()["export_id"]
    forbidden = await http.post(
        "/privacy/exports",
        headers=requester_headers(retention_app, other, clock),
        json={"data_subject_id": person},
    )
    assert forbidden.status_code == 403

    async def contribution(participant: str, subject: str, request_id: str) -> CloudEvent:
        data = ExportContributed(
            export_id=export_id,
            participant=participant,  # type: ignore[arg-type]
            contributed_at=clock.now(),
            records=await seal(
                IntakeRecords(requests=[{"request_id": request_id}]),
                data_subject_id=subject,
                keys=runtime.keys,
            ),
        )
        return CloudEvent.of(
            source="/tests", type=data.event_type, subject=export_id, time=clock.now(), data=data
        )

    # access answers with someone else's data (a bug elsewhere): it must not get in
    await publish(producer, topics.PRIVACY_DSR, await contribution("access", other, theirs))
    await publish(producer, topics.PRIVACY_DSR, await contribution("intake", person, mine))

    async def answered() -> list[str] | None:
        status = (await http.get(f"/privacy/exports/{export_id}", headers=STAFF)).json()
        return status["answered"] if {"intake", "retention"} <= set(status["answered"]) else None

    assert await eventually(answered) == ["intake", "retention"]
    early = await http.post(f"/privacy/exports/{export_id}/link", headers=STAFF)
    assert early.status_code == 409

    clock.advance(timedelta(minutes=10))  # the wait is over: assemble from who answered
    link = await http.post(
        f"/privacy/exports/{export_id}/link",
        headers=requester_headers(retention_app, person, clock),
    )
    assert link.status_code == 201, link.text
    url = link.json()["download_url"]
    downloaded = await http.get(url)
    assert downloaded.status_code == 200
    export = downloaded.json()
    assert export["data_subject_id"] == person
    assert set(export["services"]) == {"intake", "retention"}
    assert export["services"]["intake"] == {"requests": [{"request_id": mine}]}
    assert [c["request_id"] for c in export["services"]["retention"]["retention_clocks"]] == [mine]
    assert sorted(export["missing"]) == ["access", "surveys"]
    assert theirs not in json.dumps(export) and other not in json.dumps(export)
    assert (await http.get(url)).status_code == 410  # once only


async def test_an_expired_link_gives_nothing(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    _, person = await seen_request(retention_app, producer, http, clock)
    export_id = (
        await http.post("/privacy/exports", headers=STAFF, json={"data_subject_id": person})
    ).json()["export_id"]
    clock.advance(timedelta(minutes=10))
    url = (await http.post(f"/privacy/exports/{export_id}/link", headers=STAFF)).json()[
        "download_url"
    ]
    clock.advance(timedelta(hours=2))
    assert (await http.get(url)).status_code == 410


async def test_erasure_keeps_customer_records_and_held_requests_and_says_why(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    public, person = await seen_request(retention_app, producer, http, clock)
    customer, _ = await seen_request(
        retention_app, producer, http, clock, requester_id=person, organisation_id="org-keep"
    )
    held, _ = await seen_request(retention_app, producer, http, clock, requester_id=person)
    # someone else's request under a hold: what the person wrote on it (as a correspondent)
    # stays, so the scope names it; it is not theirs, so it is not counted as kept
    elsewhere, _ = await seen_request(retention_app, producer, http, clock)
    for request_id in (held, elsewhere):
        hold = await http.post(
            "/retention/legal-holds",
            headers=STAFF,
            json={
                "scope": {"kind": "request", "id": request_id},
                "reason": "legal_obligation",
                "case_reference": "CASE-9",
            },
        )
        assert hold.status_code == 201

    answer = await http.post(
        "/privacy/erasures",
        headers=requester_headers(retention_app, person, clock),
        json={"data_subject_id": person, "right": "objection"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["erased"] is True
    assert sorted((k["id"], k["ground"]) for k in body["kept"]) == sorted(
        [(customer, "customer_records"), (held, "legal_hold")]
    )
    [requested] = await eventually(
        lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=person)
    )
    assert requested.ground == "objection"
    assert set(requested.scope.keep_request_ids) == {customer, held, elsewhere}

    async def status(request_id: str) -> int:
        return (await http.get(f"/retention/requests/{request_id}", headers=STAFF)).status_code

    await eventually(lambda: _equals(status(public), 404))
    assert await status(customer) == 200 and await status(held) == 200

    for participant in ("intake", "access", "surveys"):
        await complete_as(
            producer,
            participant=participant,
            erasure_id=requested.erasure_id,
            at=clock.now(),
            data_subject_ids=(person,),
        )
    certificate = await eventually(
        lambda: _json_if_ok(http, f"/privacy/certificates/{requested.erasure_id}")
    )
    assert certificate["scope"] == {"kind": "person", "id": person}
    assert certificate["kept_request_count"] == 2
    assert certificate["participants"]["retention"]["counts"] == {
        "retention_clocks": 1,
        "person_links": 0,
    }
    assert await runtime.keys.existing_key(person) is None


async def test_a_caller_waits_for_the_certificate_in_one_request(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    """`?wait=`: the answer comes once the scheduler records the certificate; an unknown
    erasure or someone else's is said at once, and a wait over 30 s is refused."""
    _, person = await seen_request(retention_app, producer, http, clock)
    _, someone_else = await seen_request(retention_app, producer, http, clock)
    answer = await http.post("/privacy/erasures", headers=STAFF, json={"data_subject_id": person})
    erasure_id = answer.json()["erasure_id"]
    url = f"/privacy/certificates/{erasure_id}"
    assert (await http.get(url, headers=STAFF, params={"wait": 31})).status_code == 422
    unknown = await http.get("/privacy/certificates/nope", headers=STAFF, params={"wait": 30})
    assert unknown.status_code == 404
    not_theirs = await http.get(
        url,
        headers=requester_headers(retention_app, someone_else, clock),
        params={"wait": 30},
    )
    assert not_theirs.status_code == 403
    await eventually(lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=person))
    not_yet = await http.get(url, headers=STAFF, params={"wait": 0.2})
    assert not_yet.status_code == 404  # the others have not answered

    waiting = asyncio.create_task(http.get(url, headers=STAFF, params={"wait": 30}))
    await asyncio.sleep(0.3)
    assert not waiting.done()
    for participant in ("intake", "access", "surveys"):
        await complete_as(
            producer,
            participant=participant,
            erasure_id=erasure_id,
            at=clock.now(),
            data_subject_ids=(person,),
        )
    certified = await asyncio.wait_for(waiting, 30)
    assert certified.status_code == 200, certified.text
    assert certified.json()["scope"] == {"kind": "person", "id": person}
    assert set(certified.json()["participants"]) == {"intake", "access", "retention", "surveys"}


async def test_a_person_under_legal_hold_is_not_erased(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    request_id, person = await seen_request(retention_app, producer, http, clock)
    await http.post(
        "/retention/legal-holds",
        headers=STAFF,
        json={
            "scope": {"kind": "person", "id": person},
            "reason": "legal_obligation",
            "case_reference": "CASE-10",
        },
    )
    answer = await http.post("/privacy/erasures", headers=STAFF, json={"data_subject_id": person})
    assert answer.json() == {
        "erasure_id": None,
        "erased": False,
        "kept": [{"kind": "person", "id": person, "ground": "legal_hold"}],
        "awaiting_organisation_decision": [],
    }
    assert (await http.get(f"/retention/requests/{request_id}", headers=STAFF)).status_code == 200


async def _equals(value: object, expected: object) -> bool:
    return await value == expected  # type: ignore[misc]


async def _json_if_ok(http: httpx.AsyncClient, path: str) -> dict[str, object] | None:
    response = await http.get(path, headers=STAFF)
    return dict(response.json()) if response.status_code == 200 else None
