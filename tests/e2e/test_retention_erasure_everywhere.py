"""P11 through all four services as real processes: a person's export holds what every service
has on them and nobody else's; their erasure completes in every service, shreds their key,
leaves a certificate, and the scanner finds none of their plaintext in Kafka or MongoDB."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from pymongo import AsyncMongoClient

from deploy.local.services import ServiceProcess
from shared import topics
from shared.events.intake import RequestReceived
from shared.events.privacy import RequestsErased
from shared.scanner import scan
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.kafka import left_on_first_answer, read_events
from tests.support.system import four_services

STAFF = {"Authorization": "Bearer e2e-staff-token"}


@pytest.fixture
async def system(
    infrastructure: Infrastructure, instance_prefix: str, tmp_path: Path
) -> AsyncIterator[dict[str, ServiceProcess]]:
    async with four_services(
        infrastructure,
        instance_prefix=instance_prefix,
        log_dir=tmp_path,
        RETENTION_SCHEDULER_SECONDS="0.2",
        RETENTION_EXPORT_WAIT_SECONDS="60",
    ) as processes:
        yield processes


def submission(tag: str) -> dict[str, str]:
    return {
        "full_name": f"Erika Example {tag}",
        "email": f"erika.{tag}@example.org",
        "subject": f"Course page {tag} is broken",
        "body": f"Since this morning the page {tag} shows an error.",
    }


async def requester_of(bootstrap: str, request_id: str) -> str | None:
    for event in await read_events(bootstrap, topics.SUPPORT_REQUESTS):
        if event.subject == request_id and event.type == RequestReceived.event_type:
            return RequestReceived.from_event(event).requester_id
    return None


async def remembered_as_erased(url: str, prefix: str, request_id: str) -> list[str]:
    """The services that remember the request as erased (intake named it, so its announcement
    read late by any of them makes nothing)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        found = []
        for service in ("access", "retention", "surveys"):
            marks = client[f"{prefix}{service}"]["erased_requests"]
            if await marks.count_documents({"_id": request_id, "erased_at": {"$exists": True}}):
                found.append(service)
        return found
    finally:
        await client.close()


async def test_export_and_erasure_of_a_person_across_every_service(
    system: dict[str, ServiceProcess], infrastructure: Infrastructure, instance_prefix: str
) -> None:
    mine, theirs = submission(uuid4().hex[:10]), submission(uuid4().hex[:10])
    retention = system["retention"].url
    async with httpx.AsyncClient(timeout=15) as http:
        accepted = await http.post(f"{system['intake'].url}/requests", json=mine)
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]
        other = await http.post(f"{system['intake'].url}/requests", json=theirs)
        assert other.status_code == 202, other.text
        person = await eventually(
            lambda: requester_of(infrastructure.kafka_bootstrap, request_id), timeout=60
        )

        async def everywhere() -> bool:
            read = await http.get(f"{system['access'].url}/requests/{request_id}", headers=STAFF)
            clock = await http.get(f"{retention}/retention/requests/{request_id}", headers=STAFF)
            return read.status_code == 200 and clock.status_code == 200

        await eventually(everywhere, timeout=60)

        export_id = (
            await http.post(
                f"{retention}/privacy/exports", headers=STAFF, json={"data_subject_id": person}
            )
        ).json()["export_id"]

        async def ready() -> bool:
            status = (
                await http.get(f"{retention}/privacy/exports/{export_id}", headers=STAFF)
            ).json()
            return bool(status["status"] == "ready")

        await eventually(ready, timeout=90)
        link = await http.post(f"{retention}/privacy/exports/{export_id}/link", headers=STAFF)
        export = (await http.get(retention + link.json()["download_url"])).json()
        text = json.dumps(export, ensure_ascii=False)
        assert set(export["services"]) == {"intake", "access", "retention", "surveys"}
        assert mine["email"] in text and mine["subject"] in text
        assert theirs["email"] not in text and theirs["full_name"] not in text

        answer = await http.post(
            f"{retention}/privacy/erasures", headers=STAFF, json={"data_subject_id": person}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["kept"] == []
        erasure_id = answer.json()["erasure_id"]

        async def certificate() -> dict[str, object] | None:
            response = await http.get(  # answers once recorded, or 404 after 10 s
                f"{retention}/privacy/certificates/{erasure_id}",
                headers=STAFF,
                params={"wait": 10},
            )
            return dict(response.json()) if response.status_code == 200 else None

        issued = await eventually(certificate, timeout=120)
        assert set(issued["participants"]) == {"intake", "access", "retention", "surveys"}  # type: ignore[arg-type]
        assert mine["email"] not in json.dumps(issued)
        assert (
            await left_on_first_answer(infrastructure.kafka_bootstrap, erasure_id=erasure_id) == []
        )
        gone = await http.get(f"{system['access'].url}/requests/{request_id}", headers=STAFF)
        assert gone.status_code == 404
        named = [
            RequestsErased.from_event(event)
            for event in await read_events(infrastructure.kafka_bootstrap, topics.PRIVACY_ERASURE)
            if event.type == RequestsErased.event_type and event.subject == erasure_id
        ]
        assert [(n.participant, n.request_ids) for n in named] == [("intake", (request_id,))]

        async def remembered_everywhere() -> bool:
            found = await remembered_as_erased(
                infrastructure.mongodb_url, instance_prefix, request_id
            )
            return found == ["access", "retention", "surveys"]

        await eventually(remembered_everywhere, timeout=30)

    report = await scan(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        values=[mine["full_name"], mine["email"], mine["subject"], mine["body"]],
    )
    assert report.kafka_total == 0 and report.mongodb_total == 0, report.as_dict()
    still_there = await scan(
        kafka_bootstrap=None, mongodb_url=infrastructure.mongodb_url, values=[theirs["email"]]
    )
    assert still_there.mongodb_total > 0, "the other person's data is untouched"
