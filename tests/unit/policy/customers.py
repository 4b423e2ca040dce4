"""The customer of the customer-relationship policy tests (P4, P5, P7): its order form, its
representative's request, and what each service keeps of it; shared by the policy tests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem

System = MemorySystem | RealSystem

NOW = datetime.now(UTC).replace(microsecond=0)  # the real layer runs on the wall clock
SIGNED = NOW - timedelta(days=800)
ORG = "org-acme"


def publish(system: System, produced: tuple[str, Any]) -> None:
    system.publish(*produced)


async def customer_with_a_request(system: System, *, official: Person, rep: Person) -> str:
    """The order form names two representatives; the second writes in on the web form."""
    publish(
        system,
        producers.contract_signed(
            ORG, representatives={"c-r1": official, "c-r2": rep}, official="c-r1", signed_at=SIGNED
        ),
    )
    await system.settle()
    accepted = await system.http("intake").post("/requests", json=rep.web_form())
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    return str(accepted.json()["request_id"])


async def copies_of(system: System, request_id: str) -> dict[str, Any]:
    """Each service's view of the request: its organisation and lawful basis."""
    view = (await system.http("access").get(f"/requests/{request_id}", headers=STAFF)).json()
    clock = await system.http("retention").get(f"/retention/requests/{request_id}", headers=STAFF)
    intake = await system.database("intake")["requests"].find_one({"_id": request_id})
    candidate = await system.database("surveys")["survey_candidates"].find_one({"_id": request_id})
    return {
        "access": (view["organisation_id"], view["lawful_basis"]),
        "intake": (intake["organisation_id"], intake["lawful_basis"]),
        "retention": (clock.json()["organisation_id"], clock.json()["rule"]),
        "surveys": candidate["organisation_id"],
        "purge_due_at": clock.json()["purge_due_at"],
    }


async def terminate(system: System, *, days_ago: int) -> None:
    """The CRM says the contract ended `days_ago` days before today."""
    now = system.clock.now()
    ended = (now - timedelta(days=days_ago)).date()
    publish(system, producers.contract_terminated(ORG, termination_date=ended, at=now))
    await system.settle()


async def moment_passes(system: System) -> None:
    """Two seconds go by: on the memory layer's clock, or on the wall clock."""
    if isinstance(system, MemorySystem):
        system.clock.advance(timedelta(seconds=2))
    else:
        await asyncio.sleep(2)


async def export_of(system: System, person: str) -> dict[str, Any]:
    """A person's export, asked for by support staff and downloaded once it is ready."""
    retention = system.http("retention")
    asked = await retention.post(
        "/privacy/exports", headers=STAFF, json={"data_subject_id": person}
    )
    assert asked.status_code == 202, asked.text
    await system.settle()
    export_id = asked.json()["export_id"]
    link = await retention.post(f"/privacy/exports/{export_id}/link", headers=STAFF)
    assert link.status_code == 201, link.text
    downloaded = await retention.get(link.json()["download_url"])
    assert downloaded.status_code == 200, downloaded.text
    return dict(downloaded.json())


async def certificates(system: System) -> list[dict[str, Any]]:
    return [
        document
        async for document in system.database("retention")["deletion_certificates"].find({})
    ]


async def with_a_file(system: System, person: Person, content: bytes) -> str:
    """The person writes in on the web form with a text file; the request's id."""
    files = [("files", ("log.txt", content, "text/plain"))]
    sent = await system.http("intake").post("/form", data=person.web_form(), files=files)
    assert sent.status_code == 201, sent.text
    await system.settle()
    reference = "SR-" + sent.text.split("<strong>SR-", 1)[1].split("<", 1)[0]
    found = await system.database("intake")["requests"].find_one({"reference": reference})
    return str(found["_id"])


async def file_of(system: System, request_id: str) -> tuple[int, bytes]:
    """Support staff download the request's file: access grants, intake serves."""
    view = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    (attachment,) = view.json()["attachments"]
    grant = await system.http("access").post(
        f"/requests/{request_id}/attachments/{attachment['attachment_id']}/download-grant",
        headers=STAFF,
    )
    assert grant.status_code == 201, grant.text
    served = await system.http("intake").get(grant.json()["download_path"])
    return served.status_code, served.content


async def calls(system: System, person: Person) -> str | None:
    """The telephony system logs a call from the person's number with their name but no
    email; the request it opened, if any."""
    before = await system.database("intake")["requests"].distinct("_id")
    system.publish(*producers.phone_call(person, at=system.clock.now(), with_email=False))
    await system.settle()
    after = await system.database("intake")["requests"].distinct("_id")
    opened = set(after) - set(before)
    return str(opened.pop()) if opened else None
