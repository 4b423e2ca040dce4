"""P5, P7 through the four services as real processes on real Kafka and storage, starting
only from what outside systems and people do: a CRM publishing on crm.ingress with a plain
Kafka producer (the documented contract, no secret of ours), a web form, a mail to intake's
SMTP server, a telephony system's call on intake.phone. Afterwards every collection of every
service and every topic is scanned for the people's names, emails and phones. (P8's caller,
366 and 364 days on, runs on both layers in tests/unit/policy/test_other_requests.py.)"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient

from deploy.local.services import ServiceProcess
from shared.events import CloudEvent
from shared.scanner import scan
from tests.support import producers
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.intake import mail
from tests.support.kafka import left_on_first_answer
from tests.support.producers import Person
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
        RETENTION_PARTICIPANT_LATE_SECONDS="3",
    ) as processes:
        yield processes


@pytest.fixture
async def crm(infrastructure: Infrastructure) -> AsyncIterator[AIOKafkaProducer]:
    """A plain Kafka producer, as the CRM and the telephony system have."""
    producer = AIOKafkaProducer(bootstrap_servers=infrastructure.kafka_bootstrap, acks="all")
    await producer.start()
    yield producer
    await producer.stop()


async def send(producer: AIOKafkaProducer, produced: tuple[str, CloudEvent]) -> None:
    topic, event = produced
    await producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())


async def send_mail(system: dict[str, ServiceProcess], message: Any) -> None:
    port = int(system["intake"].env["INTAKE_SMTP_PORT"])

    def deliver() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.send_message(message)

    await asyncio.to_thread(deliver)


async def counts(url: str, prefix: str, organisation: str) -> dict[str, int]:
    """What each service stores of the organisation, counted straight from its database."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        tagged = {"organisation_id": organisation}
        intake, access = client[f"{prefix}intake"], client[f"{prefix}access"]
        retention, surveys = client[f"{prefix}retention"], client[f"{prefix}surveys"]
        return {
            "intake.requests": await intake["requests"].count_documents(tagged),
            "intake.messages": await intake["messages"].count_documents(tagged),
            "intake.raw_mails": await intake["raw_mails"].count_documents(tagged),
            "intake.acknowledgements": await intake["acknowledgements"].count_documents(tagged),
            "intake.contacts": await intake["contacts"].count_documents(
                {"organisation_ids": organisation}
            ),
            "access.request_views": await access["request_views"].count_documents(tagged),
            "retention.retention_clocks": await retention["retention_clocks"].count_documents(
                tagged
            ),
            "surveys.requests": await surveys["survey_candidates"].count_documents(tagged),
        }
    finally:
        await client.close()


async def test_a_terminated_customers_representatives_leave_nothing_behind(
    system: dict[str, ServiceProcess],
    crm: AIOKafkaProducer,
    infrastructure: Infrastructure,
    instance_prefix: str,
) -> None:
    now = datetime.now(UTC)
    organisation = f"org-{instance_prefix.strip('_')}"
    official, rep = Person.new("Olga Official"), Person.new("Rita Rep", phone="+4791234567")
    await send(
        crm,
        producers.contract_signed(
            organisation,
            representatives={"c-r1": official, "c-r2": rep},
            official="c-r1",
            signed_at=now - timedelta(days=800),
        ),
    )
    async with httpx.AsyncClient(timeout=15) as http:
        intake, access = system["intake"].url, system["access"].url
        retention = system["retention"].url

        await eventually(  # the order form reached access through crm.ingress
            lambda: _organisation_known(infrastructure.mongodb_url, instance_prefix, organisation),
            timeout=60,
        )
        web = await http.post(f"{intake}/requests", json=rep.web_form())
        assert web.status_code == 202, web.text
        await send_mail(
            system,
            mail(sender=official.email, name=official.full_name, subject="Invoice", body="Why?"),
        )
        await send(crm, producers.phone_call(rep, at=now - timedelta(days=3)))

        async def all_three_are_the_customers() -> dict[str, int] | None:
            found = await counts(infrastructure.mongodb_url, instance_prefix, organisation)
            every = all(found[k] == 3 for k in ("intake.requests", "access.request_views"))
            every = every and found["retention.retention_clocks"] == 3
            return found if every and found["surveys.requests"] == 3 else None

        before = await eventually(all_three_are_the_customers, timeout=90)
        assert before["intake.contacts"] == 2 and before["intake.raw_mails"] == 1
        view = (
            await http.get(f"{access}/requests/{web.json()['request_id']}", headers=STAFF)
        ).json()
        assert view["lawful_basis"] == "contract"  # P5
        clock = await http.get(
            f"{retention}/retention/requests/{view['request_id']}", headers=STAFF
        )
        assert clock.json()["rule"] == "customer_relationship"

        await send(
            crm,
            producers.contract_terminated(
                organisation, termination_date=(now - timedelta(days=366)).date(), at=now
            ),
        )

        async def certificate() -> dict[str, Any] | None:
            clock = await http.get(
                f"{retention}/retention/organisations/{organisation}", headers=STAFF
            )
            purge_id = clock.json().get("purge_id") if clock.status_code == 200 else None
            if purge_id is None:
                return None
            found = await http.get(f"{retention}/privacy/certificates/{purge_id}", headers=STAFF)
            return dict(found.json()) if found.status_code == 200 else None

        issued = await eventually(certificate, timeout=120)

    assert issued["remaining_total"] == 0
    left = await left_on_first_answer(
        infrastructure.kafka_bootstrap, erasure_id=issued["erasure_id"]
    )
    assert left == []
    participants = issued["participants"]
    assert participants["intake"]["counts"]["requests"] == before["intake.requests"]
    assert participants["intake"]["counts"]["messages"] == before["intake.messages"]
    assert participants["intake"]["counts"]["raw_mails"] == before["intake.raw_mails"]
    assert participants["intake"]["counts"]["contacts"] == before["intake.contacts"]
    assert participants["access"]["counts"]["request_views"] == before["access.request_views"]
    assert participants["access"]["counts"]["accounts"] == 2
    assert participants["retention"]["counts"]["retention_clocks"] == 3
    assert participants["surveys"]["counts"]["requests"] == before["surveys.requests"]
    assert await counts(infrastructure.mongodb_url, instance_prefix, organisation) == dict.fromkeys(
        before, 0
    )
    report = await scan(
        kafka_bootstrap=infrastructure.kafka_bootstrap,
        mongodb_url=infrastructure.mongodb_url,
        values=[*official.values, *rep.values],
    )
    assert report.kafka_total == 0 and report.mongodb_total == 0, report.as_dict()
    assert report.ingress_hits, "the CRM's and the telephony system's clear text is reported"


async def _organisation_known(url: str, prefix: str, organisation: str) -> bool:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url)
    try:
        reps = client[f"{prefix}access"]["representatives"]
        return await reps.count_documents({"organisation_id": organisation}) == 2
    finally:
        await client.close()
