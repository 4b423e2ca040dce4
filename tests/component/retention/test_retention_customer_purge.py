"""P7 on real Kafka and storage with a controlled clock: a terminated customer's organisation is
purged a year after the termination date, unless held or reinstated; the purge ends in shredded
keys and a deletion certificate, and no plaintext of the person is left in Kafka."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from services.retention.purge_store import MongoPurges
from services.retention.scheduler import PurgeScheduler
from shared import topics
from shared.clock import FixedClock
from shared.crypto import unseal
from shared.events import CloudEvent, parse_event
from shared.events.intake import RequestContent, RequestReceived
from shared.scanner import scan
from shared.service import ServiceRuntime
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_topic
from tests.support.retention import (
    STAFF,
    complete_as,
    contract_reinstated,
    contract_terminated,
    erasure_requests,
    publish,
    request_received,
)


def metric(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def customer_request(
    app: FastAPI, producer: AIOKafkaProducer, http: httpx.AsyncClient, clock: FixedClock, **kw: str
) -> tuple[str, str, str]:
    """An organisation with one customer representative's request, seen by retention."""
    runtime: ServiceRuntime = app.state.runtime
    organisation_id = f"org-{uuid4().hex[:8]}"
    event = await request_received(
        runtime.keys,
        received_at=clock.now() - timedelta(days=800),
        organisation_id=organisation_id,
        **kw,
    )
    await publish(producer, topics.SUPPORT_REQUESTS, event)
    request_id = event.subject

    async def clock_exists() -> bool:
        response = await http.get(f"/retention/requests/{request_id}", headers=STAFF)
        return response.status_code == 200

    await eventually(clock_exists)
    requester_id = RequestReceived.from_event(event).requester_id
    return organisation_id, request_id, requester_id


async def terminate(
    producer: AIOKafkaProducer, http: httpx.AsyncClient, clock: FixedClock, org: str, days: int
) -> None:
    ended = (clock.now() - timedelta(days=days)).date()
    await publish(
        producer,
        topics.CRM_CONTRACTS,
        contract_terminated(org, termination_date=ended, terminated_at=clock.now()),
    )

    async def recorded() -> bool:
        response = await http.get(f"/retention/organisations/{org}", headers=STAFF)
        return response.status_code == 200 and response.json()["contract_state"] == "terminated"

    await eventually(recorded)


async def purges_of(app: FastAPI, scope_id: str) -> int:
    runtime: ServiceRuntime = app.state.runtime
    return await MongoPurges(runtime.runner.database).count({"scope_id": scope_id})


async def test_terminated_366_days_ago_the_organisation_is_purged_certified_and_shredded(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    name, email = f"Ola Nordmann {uuid4().hex[:6]}", f"ola.{uuid4().hex[:8]}@example.org"
    org, request_id, person = await customer_request(
        retention_app, producer, http, clock, full_name=name, email=email
    )
    await terminate(producer, http, clock, org, days=366)

    [requested] = await eventually(
        lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=org)
    )
    assert requested.scope.kind == "organisation"
    assert requested.ground == "customer_retention_expired"
    assert requested.deadline > requested.requested_at
    assert metric(runtime.registry, "retention_purges_started_total", ground=requested.ground) == 1

    # retention's own participant side deletes its clock of the organisation's request
    await eventually(lambda: _status(http, f"/retention/requests/{request_id}", 404), timeout=30)

    for participant in ("intake", "access", "surveys"):
        await complete_as(
            producer,
            participant=participant,
            erasure_id=requested.erasure_id,
            at=clock.now(),
            data_subject_ids=(person,),
        )
    certificate = (
        await eventually(
            lambda: _ok(http, f"/privacy/certificates/{requested.erasure_id}"), timeout=30
        )
    ).json()
    assert certificate["scope"] == {"kind": "organisation", "id": org}
    assert certificate["ground"] == "customer_retention_expired"
    assert set(certificate["participants"]) == {"intake", "access", "surveys", "retention"}
    assert certificate["participants"]["retention"]["counts"] == {"retention_clocks": 1}
    assert certificate["keys_shredded"] == 1
    assert name not in json.dumps(certificate) and email not in json.dumps(certificate)
    assert person not in json.dumps(certificate)

    async def completion_observed() -> float:
        return metric(runtime.registry, "retention_erasure_completion_seconds_count")

    assert await eventually(completion_observed) == 1

    assert await runtime.keys.existing_key(person) is None
    received = RequestReceived.model_validate(
        (await _first_event_of(infrastructure, request_id)).data
    )
    assert await unseal(received.content, RequestContent, keys=runtime.keys) is None
    report = await scan(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        values=[name, email],
    )
    assert report.records_scanned > 0
    assert report.kafka_total == 0 and report.mongodb_total == 0, report.as_dict()
    assert (
        metric(runtime.registry, "retention_purges_completed_total", ground=requested.ground) == 1
    )
    assert metric(runtime.registry, "retention_keys_shredded_total") == 1


async def test_terminated_364_days_ago_nothing_is_purged_until_the_day_comes(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    scheduler: PurgeScheduler = retention_app.state.scheduler
    org, request_id, person = await customer_request(retention_app, producer, http, clock)
    await terminate(producer, http, clock, org, days=364)
    await scheduler.run_once()
    assert await purges_of(retention_app, org) == 0
    assert (await http.get(f"/retention/requests/{request_id}", headers=STAFF)).status_code == 200
    assert await runtime.keys.existing_key(person) is not None
    assert metric(runtime.registry, "retention_items_due_next_30_days") >= 1

    clock.advance(timedelta(days=2))
    await eventually(lambda: purges_of(retention_app, org))


async def test_a_hold_placed_first_stops_the_purge_and_its_release_lets_it_run(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    scheduler: PurgeScheduler = retention_app.state.scheduler
    org, request_id, _ = await customer_request(retention_app, producer, http, clock)
    placed = await http.post(
        "/retention/legal-holds",
        headers=STAFF,
        json={
            "scope": {"kind": "organisation", "id": org},
            "reason": "contractual_dispute",
            "case_reference": "CASE-2026-7",
        },
    )
    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert hold["active"] and hold["placed_by"] == "bootstrap-staff"

    await terminate(producer, http, clock, org, days=400)
    await scheduler.run_once()
    assert await purges_of(retention_app, org) == 0
    assert (await http.get(f"/retention/requests/{request_id}", headers=STAFF)).status_code == 200
    assert metric(runtime.registry, "retention_legal_holds_active") >= 1

    released = await http.post(f"/retention/legal-holds/{hold['hold_id']}/release", headers=STAFF)
    assert released.status_code == 200 and not released.json()["active"]
    [requested] = await eventually(
        lambda: erasure_requests(infrastructure.kafka_bootstrap, scope_id=org)
    )
    assert requested.scope.kind == "organisation"

    events = [
        r.value
        for r in await read_topic(infrastructure.kafka_bootstrap, topics.LEGAL_HOLDS)
        if r.key == hold["hold_id"].encode()
    ]
    types = [json.loads(v or b"{}")["type"] for v in events]
    assert types == ["legal.hold.placed.v1", "legal.hold.released.v1"]


async def test_a_reinstated_contract_cancels_the_purge(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
) -> None:
    scheduler: PurgeScheduler = retention_app.state.scheduler
    org, request_id, _ = await customer_request(retention_app, producer, http, clock)
    await terminate(producer, http, clock, org, days=364)
    await publish(
        producer, topics.CRM_CONTRACTS, contract_reinstated(org, reinstated_at=clock.now())
    )

    async def active() -> bool:
        response = await http.get(f"/retention/organisations/{org}", headers=STAFF)
        return response.json()["contract_state"] == "active"

    await eventually(active)
    clock.advance(timedelta(days=30))
    await scheduler.run_once()
    assert await purges_of(retention_app, org) == 0
    assert (await http.get(f"/retention/requests/{request_id}", headers=STAFF)).status_code == 200


async def _status(http: httpx.AsyncClient, path: str, code: int) -> bool:
    return (await http.get(path, headers=STAFF)).status_code == code


async def _ok(http: httpx.AsyncClient, path: str) -> httpx.Response | None:
    response = await http.get(path, headers=STAFF)
    return response if response.status_code == 200 else None


async def _first_event_of(infrastructure: Infrastructure, request_id: str) -> CloudEvent:
    for record in await read_topic(infrastructure.kafka_bootstrap, topics.SUPPORT_REQUESTS):
        if record.key == request_id.encode():
            return parse_event(record.value or b"")
    raise AssertionError("request event not found")
