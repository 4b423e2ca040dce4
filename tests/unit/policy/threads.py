"""Threads with more than one writer, through the real producers: a person writes in on the
web form, others answer the request's thread by mail (to intake's SMTP server on the real layer,
its handler in memory), support staff read it, ask for exports and erasures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.support.intake import mail
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem
from tests.unit.policy.customers import certificates

System = MemorySystem | RealSystem


async def files(system: System, person: Person) -> tuple[str, str]:
    """The person writes in on the web form: (request id, their contact id)."""
    accepted = await system.http("intake").post("/requests", json=person.web_form())
    assert accepted.status_code == 202, accepted.text
    await system.settle()
    request_id = str(accepted.json()["request_id"])
    found = await system.database("intake")["requests"].find_one({"_id": request_id})
    return request_id, str(found["requester_id"])


async def replies(
    system: System, person: Person, request_id: str, text: str, *, file: bytes | None = None
) -> str:
    """The person answers the request's thread by mail (its reference in the subject), quoting
    the request, with a file if given; the id of the message it became."""
    found = await system.database("intake")["requests"].find_one({"_id": request_id})
    quoted = f"> {found['subject']}"
    subject = f"Re: [{found['reference']}] {found['subject']}"
    sent = mail(
        sender=person.email, name=person.full_name, subject=subject, body=f"{text}\n{quoted}"
    )
    if file is not None:
        sent.add_attachment(file, maintype="text", subtype="plain", filename="same-error.txt")
    await system.send_mail(sent)
    await system.settle()
    written = await system.database("intake")["messages"].find_one(
        {"request_id": request_id, "body": {"$regex": text}}
    )
    assert written is not None, "the reply did not thread into the request"
    return str(written["_id"])


async def messages_read(system: System, request_id: str) -> list[dict[str, Any]]:
    view = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert view.status_code == 200, view.text
    return list(view.json()["messages"])


async def erase(system: System, person_id: str) -> dict[str, Any]:
    """Support staff erase the person; the certificate of it."""
    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": person_id}
    )
    assert answer.status_code == 200, answer.text
    await system.settle()
    (certificate,) = [c for c in await certificates(system) if c["scope"]["id"] == person_id]
    return certificate


async def key_kept(system: System, key_id: str) -> bool:
    """Whether intake's key store still holds a key (a shredded one leaves Kafka's copy
    sealed for good)."""
    if isinstance(system, MemorySystem):
        return await system.services["intake"].runtime.keys.existing_key(key_id) is not None
    found = await system.database("keystore")["data_keys"].count_documents({"_id": key_id})
    return bool(found)


async def answered_after(system: System, request_id: str, days: int, body: str) -> None:
    """`days` pass, then support staff answer the request (activity that keeps it, P8)."""
    system.clock.advance(timedelta(days=days))
    answered = await system.http("intake").post(
        f"/requests/{request_id}/messages", json={"body": body}, headers=STAFF
    )
    assert answered.status_code == 201, answered.text
    await system.settle()
