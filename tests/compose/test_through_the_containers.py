"""The whole platform in containers, through the ports docker-compose.yml publishes: a web
request, a mail over SMTP and a CRM order form come in; staff and the requester see what they
may; an erasure ends in a certificate; restarting each service and Kafka loses nothing; `down`
then `up` keeps the data in the named volumes."""

from __future__ import annotations

import asyncio
import re
import smtplib
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from uuid import uuid4

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from tests.compose.conftest import Compose
from tests.support.apps import eventually
from tests.support.producers import Person, contract_signed
from tests.support.reliability import record

INTAKE, ACCESS, RETENTION = (
    "http://127.0.0.1:8001",
    "http://127.0.0.1:8002",
    "http://127.0.0.1:8003",
)
MAILPIT, KAFKA, SMTP_PORT = "http://127.0.0.1:8025", "127.0.0.1:29092", 2525
LINK = re.compile(r"set-password\?token=([A-Za-z0-9_\-]+)")
PASSWORD = "a-long-enough-password"
SERVICES = ("intake", "access", "retention", "surveys", "portal")


async def web_request(person: Person, subject: str) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        accepted = await http.post(f"{INTAKE}/requests", json=person.web_form(subject))
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["request_id"])


def mail_request(person: Person, subject: str) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        person.email,
        "support@support.example",
        subject,
    )
    message.set_content("Sent over SMTP to the intake container.")
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30) as smtp:
        smtp.send_message(message)  # raises unless intake answered 250


async def subjects_staff_see(compose: Compose) -> set[str]:
    async with httpx.AsyncClient(timeout=30) as http:
        listed = await http.get(f"{ACCESS}/requests", headers=compose.staff, params={"limit": 200})
    assert listed.status_code == 200, listed.text
    return {str(r.get("subject")) for r in listed.json()}


async def staff_see(compose: Compose, *subjects: str, timeout: float = 90) -> None:
    async def all_there() -> bool:
        return set(subjects) <= await subjects_staff_see(compose)

    await eventually(all_there, timeout=timeout, interval=1)


async def missing_for_staff(compose: Compose, *subjects: str, timeout: float) -> set[str]:
    """What staff still do not see when everything is there or the time is up."""
    deadline = time.monotonic() + timeout
    while (missing := set(subjects) - await subjects_staff_see(compose)) and (
        time.monotonic() < deadline
    ):
        await asyncio.sleep(1)
    return missing


async def mailed_token(email: str) -> str:
    """The set-password token in the newest mail to `email` that Mailpit caught."""

    async def newest() -> str | None:
        async with httpx.AsyncClient(base_url=MAILPIT, timeout=30) as mailpit:
            found = await mailpit.get("/api/v1/search", params={"query": f'to:"{email}"'})
            for summary in found.json().get("messages", []):
                text = (await mailpit.get(f"/api/v1/message/{summary['ID']}")).json()["Text"]
                if match := LINK.search(text):
                    return match.group(1)
        return None

    return await eventually(newest, timeout=90, interval=1)


async def signed_in(email: str) -> dict[str, str]:
    token = await mailed_token(email)
    async with httpx.AsyncClient(base_url=ACCESS, timeout=30) as access:
        done = await access.post(
            "/accounts/set-password", json={"token": token, "password": PASSWORD}
        )
        assert done.status_code == 204, done.text
        login = await access.post("/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_web_mail_and_crm_come_in_and_each_person_sees_what_they_may(
    compose: Compose,
) -> None:
    ada, bob = Person.new("Ada Web"), Person.new("Bob Mail")
    await web_request(ada, f"Web {ada.email}")
    mail_request(bob, f"Mail {bob.email}")
    await staff_see(compose, f"Web {ada.email}", f"Mail {bob.email}")

    ada_token = await signed_in(ada.email)
    async with httpx.AsyncClient(base_url=ACCESS, timeout=30) as access:
        mine = await access.get("/requests", headers=ada_token)
    assert mine.status_code == 200
    assert [r["subject"] for r in mine.json()] == [f"Web {ada.email}"]  # not Bob's

    organisation = f"org-{uuid4().hex[:8]}"
    representative = Person.new("Cleo Customer")
    topic, event = contract_signed(
        organisation,
        representatives={"rep-1": representative},
        official="rep-1",
        signed_at=datetime.now(UTC),
    )
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())
    finally:
        await producer.stop()
    cleo = await signed_in(representative.email)  # the order form made her an account
    async with httpx.AsyncClient(base_url=ACCESS, timeout=30) as access:
        me = await access.get("/me", headers=cleo)
    assert me.status_code == 200 and me.json()["role"] == "requester"


async def test_an_erasure_ends_in_a_certificate_with_nothing_left(compose: Compose) -> None:
    dora = Person.new("Dora Erase")
    await web_request(dora, f"Erase {dora.email}")
    await staff_see(compose, f"Erase {dora.email}")
    token = await signed_in(dora.email)
    async with httpx.AsyncClient(timeout=30) as http:
        me = (await http.get(f"{ACCESS}/me", headers=token)).json()
        asked = await http.post(
            f"{RETENTION}/privacy/erasures",
            headers=token,
            json={"data_subject_id": me["principal_id"], "right": "erasure"},
        )
        assert asked.status_code == 200, asked.text
        erasure_id = asked.json()["erasure_id"]

        async def certificate() -> dict[str, Any] | None:
            answer = await http.get(
                f"{RETENTION}/privacy/certificates/{erasure_id}", headers=compose.staff
            )
            return answer.json() if answer.status_code == 200 else None

        certified = await eventually(certificate, timeout=120, interval=1)
    assert certified["remaining_total"] == 0
    assert set(certified["participants"]) >= {"intake", "access", "surveys"}
    assert f"Erase {dora.email}" not in await subjects_staff_see(compose)


@pytest.mark.parametrize("name", [*SERVICES, "kafka", "mongodb"])
async def test_a_restart_loses_nothing(compose: Compose, name: str) -> None:
    """What was accepted before `docker compose restart` is there after it (RELIABILITY.md)."""
    before = Person.new("Eve Restart")
    await web_request(before, f"Before {name} {before.email}")
    mail_request(before, f"Mail before {name} {before.email}")
    started = time.monotonic()
    compose("restart", name)
    compose("up", "--detach", "--wait", "--wait-timeout", "300")  # healthy again
    healthy_after = time.monotonic() - started
    after = Person.new("Fay Restart")
    await web_request(after, f"After {name} {after.email}")
    expected = (
        f"Before {name} {before.email}",
        f"Mail before {name} {before.email}",
        f"After {name} {after.email}",
    )
    missing = await missing_for_staff(compose, *expected, timeout=180)
    record(
        "faults",
        f"containers: docker compose restart {name}",
        tried=1,
        survived=int(not missing),
        violations=len(missing),
        in_flight=len(expected),
        detail=f"healthy again in {healthy_after:.0f} s; {len(expected) - len(missing)} of "
        f"{len(expected)} requests (web and mail before, web after) seen by staff",
    )
    assert missing == set()


async def test_down_then_up_keeps_the_data_in_the_volumes(compose: Compose) -> None:
    gus = Person.new("Gus Volume")
    await web_request(gus, f"Kept {gus.email}")
    await staff_see(compose, f"Kept {gus.email}")
    token = await signed_in(gus.email)
    compose("down", "--timeout", "20")
    compose.up()
    missing = await missing_for_staff(compose, f"Kept {gus.email}", timeout=120)
    async with httpx.AsyncClient(base_url=ACCESS, timeout=30) as access:
        login = await access.post("/login", json={"email": gus.email, "password": PASSWORD})
        mine = await access.get("/requests", headers=token)  # the old token is still signed
    kept = not missing and login.status_code == 200 and mine.status_code == 200
    record(
        "faults",
        "containers: docker compose down, then up (named volumes)",
        tried=1,
        survived=int(kept),
        violations=int(not kept),
        detail="the request, the account and its password, and a signed token kept",
    )
    assert missing == set()
    assert login.status_code == 200, login.text
    assert [r["subject"] for r in mine.json()] == [f"Kept {gus.email}"]
