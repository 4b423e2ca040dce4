"""P11 rectification and the P10 processor register over HTTP on real Kafka and storage."""

from __future__ import annotations

import csv
import io
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared import topics
from shared.clock import FixedClock
from shared.crypto import unseal
from shared.events.intake import ContactDetails
from shared.events.privacy import RectificationRequested
from shared.service import ServiceRuntime
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import read_events, read_topic
from tests.support.retention import STAFF, seen_request


async def test_rectification_is_published_sealed_for_every_service(
    retention_app: FastAPI,
    http: httpx.AsyncClient,
    producer: AIOKafkaProducer,
    clock: FixedClock,
    infrastructure: Infrastructure,
) -> None:
    runtime: ServiceRuntime = retention_app.state.runtime
    _, person = await seen_request(retention_app, producer, http, clock)
    corrected = {"full_name": f"Kari Rettet {uuid4().hex[:6]}", "email": "kari.rettet@example.org"}
    answer = await http.post(
        "/privacy/rectifications",
        headers=STAFF,
        json={"data_subject_id": person, "details": corrected},
    )
    assert answer.status_code == 202, answer.text
    rectification_id = answer.json()["rectification_id"]

    async def published() -> RectificationRequested | None:
        for record in await read_topic(infrastructure.kafka_bootstrap, topics.PRIVACY_DSR):
            assert corrected["full_name"].encode() not in (record.value or b"")
        for event in await read_events(infrastructure.kafka_bootstrap, topics.PRIVACY_DSR):
            if event.type == RectificationRequested.event_type:
                found = RectificationRequested.from_event(event)
                if found.rectification_id == rectification_id:
                    return found
        return None

    event = await eventually(published)
    details = await unseal(event.details, ContactDetails, keys=runtime.keys)
    assert details is not None and details.full_name == corrected["full_name"]
    noted = runtime.runner.database["rectifications"]
    assert await eventually(lambda: noted.find_one({"data_subject_id": person}))

    bad = await http.post(
        "/privacy/rectifications",
        headers=STAFF,
        json={"data_subject_id": person, "details": {"full_name": "", "email": "nope"}},
    )
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json()["detail"]} == {"details.full_name", "details.email"}
    assert "nope" not in bad.text


async def test_the_processor_register_refuses_a_third_country_without_a_mechanism(
    http: httpx.AsyncClient,
) -> None:
    listed = (await http.get("/retention/processors", headers=STAFF)).json()
    assert {p["name"]: p["location"] for p in listed} == {
        "Freshdesk Inc.": "US",
        "iCONX Solutions LTD T/A Wizuda": "EU",
    }
    freshdesk = next(p for p in listed if p["processor_id"] == "freshdesk")
    assert freshdesk["transfer_mechanism"] == "standard_contractual_clauses"
    assert freshdesk["third_country"] is True

    record = {"name": "Mail SaaS", "purpose": "Outbound mail", "location": "US"}
    assert (
        await http.put("/retention/processors/mailsaas", headers=STAFF, json=record)
    ).status_code == 200
    refused = await http.post("/retention/processors/mailsaas/enable", headers=STAFF)
    assert refused.status_code == 409
    assert "third country" in refused.json()["detail"]
    with_scc = {**record, "transfer_mechanism": "standard_contractual_clauses"}
    await http.put("/retention/processors/mailsaas", headers=STAFF, json=with_scc)
    enabled = await http.post("/retention/processors/mailsaas/enable", headers=STAFF)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True

    exported = await http.get("/retention/processors.csv", headers=STAFF)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["processor_id"] for r in rows] == ["freshdesk", "mailsaas", "wizuda"]
    assert (await http.get("/retention/processors")).status_code == 401
