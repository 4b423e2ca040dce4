"""P8, P11: requests of end users and the public, and a person's own erasure, through the real
producers (a telephony system on intake.phone, the web form, a CRM on crm.ingress), in the four
services wired in memory.

The policy: "For other requests we will delete all personal data within a 1-year period, if no
activity, interest or intent can be identified as allowing us to continue processing." A
person's last request takes their contact, account and survey data with it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from shared import topics
from shared.events.intake import RequestReceived
from shared.events.privacy import ErasureRequested, ErasureScope
from tests.support import producers
from tests.support.memory import STAFF, MemorySystem
from tests.support.producers import Person
from tests.support.real_system import RealSystem
from tests.unit.policy.customers import certificates, export_of, with_a_file

System = MemorySystem | RealSystem

NOW = datetime.now(UTC).replace(microsecond=0)  # the real layer runs on the wall clock
INGRESS = {topics.PHONE_INTAKE, topics.CRM_INGRESS}  # clear text on purpose, kept days


async def a_call(system: System, person: Person, *, days_ago: int) -> str:
    """The telephony system logs a call `days_ago` days back; the id of the request it made."""
    system.publish(*producers.phone_call(person, at=NOW - timedelta(days=days_ago)))
    await system.settle()
    return (await received(system))[-1]


async def erasures_asked(system: System) -> list[ErasureScope]:
    """The scopes retention asked the participants to erase."""
    return [
        ErasureRequested.model_validate(event.data).scope
        for event in await system.events(topics.PRIVACY_ERASURE)
        if event.type == ErasureRequested.event_type
    ]


async def received(system: System) -> list[str]:
    """The ids of the requests intake announced, in order."""
    return [
        RequestReceived.from_event(event).request_id
        for event in await system.events(topics.SUPPORT_REQUESTS)
        if event.type == RequestReceived.event_type
    ]


@pytest.mark.both_layers
async def test_a_callers_only_request_366_days_idle_takes_all_their_data_with_it(
    system: System,
) -> None:
    caller = Person.new("Carl Caller", phone="+4722334411")
    request_id = await a_call(system, caller, days_ago=366)
    (certificate,) = await certificates(system)
    assert certificate["ground"] == "inactivity"
    assert certificate["scope"] == {"kind": "request", "id": request_id}
    assert certificate["remaining_total"] == 0
    assert certificate["participants"]["intake"]["counts"]["contacts"] == 1
    # named in the request: released also where the request's copy had not arrived yet
    (asked,) = await erasures_asked(system)
    (announced,) = [
        RequestReceived.from_event(event)
        for event in await system.events(topics.SUPPORT_REQUESTS)
        if event.type == RequestReceived.event_type
    ]
    assert asked.data_subject_ids == (announced.requester_id,)
    # access's account and surveys' registration are made from intake's announcement of the
    # contact; the erasure deletes them, or (if it came first) they are never made
    for participant, records in (("access", "accounts"), ("surveys", "contacts")):
        assert certificate["participants"][participant]["counts"].get(records, 0) <= 1
    accounts = await system.database("access")["accounts"].find({}).to_list()
    assert accounts == [], (certificate["participants"]["access"], accounts)
    assert await system.database("surveys")["contacts"].count_documents({}) == 0
    left = await system.plaintext(caller.values)
    assert set(left) <= INGRESS, left


@pytest.mark.both_layers
async def test_a_callers_request_364_days_idle_keeps_everything(system: System) -> None:
    caller = Person.new("Cora Caller", phone="+4722334412")
    request_id = await a_call(system, caller, days_ago=364)
    assert await certificates(system) == []
    stored = await system.plaintext(caller.values)
    assert stored.get("intake.contacts") and stored.get("access.request_views")
    clock = await system.http("retention").get(f"/retention/requests/{request_id}", headers=STAFF)
    assert clock.json()["rule"] == "inactivity"
    assert clock.json()["purge_due_at"].startswith((NOW + timedelta(days=1)).date().isoformat())


async def test_a_persons_older_request_goes_and_the_person_stays_for_the_newer_one(
    system: System,
) -> None:
    caller = Person.new("Two Requests", phone="+4722334413")
    system.publish(*producers.phone_call(caller, at=NOW - timedelta(days=400)))
    new = await a_call(system, caller, days_ago=10)
    old = next(r for r in await received(system) if r != new)
    certified = await certificates(system)
    assert [c["scope"]["id"] for c in certified] == [old]
    assert [scope.data_subject_ids for scope in await erasures_asked(system)] == [()]
    (certificate,) = certified
    assert certificate["participants"]["intake"]["kept"] == [
        {"records": "contacts", "count": 1, "ground": "other_requests"}
    ]
    assert certificate["participants"]["access"]["kept"] == [
        {"records": "accounts", "count": 1, "ground": "other_requests"}
    ]
    assert (await system.http("access").get(f"/requests/{new}", headers=STAFF)).status_code == 200
    assert (await system.plaintext(caller.values)).get("intake.contacts")


async def test_a_representatives_own_erasure_keeps_the_organisations_requests_and_says_why(
    system: System,
) -> None:
    """P7 over P11: the requests a representative filed stay with the organisation."""
    rep = Person.new("Erase Me")
    system.publish(
        *producers.contract_signed(
            "org-acme",
            representatives={"c-1": rep},
            official="c-1",
            signed_at=NOW - timedelta(days=30),
        )
    )
    await system.settle()
    customer = await system.http("intake").post("/requests", json=rep.web_form())
    await system.settle()
    request_id = customer.json()["request_id"]
    person = (
        customer.json().get("requester_id")
        or (await system.database("intake")["requests"].find_one({"_id": request_id}))[
            "requester_id"
        ]
    )

    answer = await system.http("retention").post(
        "/privacy/erasures", headers=STAFF, json={"data_subject_id": person}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kept"] == [
        {"kind": "request", "id": request_id, "ground": "customer_records"}
    ]
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["remaining_total"] == 0
    assert {"records": "requests", "count": 1, "ground": "customer_records"} in certificate["kept"]
    kept = await system.http("access").get(f"/requests/{request_id}", headers=STAFF)
    assert kept.status_code == 200 and kept.json()["organisation_id"] == "org-acme"
    assert certificate["participants"]["access"]["counts"]["accounts"] == 1


async def test_activity_moves_the_deadline_to_a_year_after_it(system: System) -> None:
    """A call 300 days ago, answered today by support staff: kept until a year from today."""
    caller = Person.new("Active Anne", phone="+4722334414")
    request_id = await a_call(system, caller, days_ago=300)
    answered = await system.http("intake").post(
        f"/requests/{request_id}/messages", json={"body": "Try again now."}, headers=STAFF
    )
    assert answered.status_code == 201, answered.text
    await system.settle()
    clock = await system.http("retention").get(f"/retention/requests/{request_id}", headers=STAFF)
    assert clock.json()["purge_due_at"].startswith((NOW + timedelta(days=365)).date().isoformat())
    system.clock.advance(timedelta(days=364))
    await system.settle()
    assert await certificates(system) == []
    system.clock.advance(timedelta(days=2))
    await system.settle()
    (certificate,) = await certificates(system)
    assert certificate["scope"]["id"] == request_id and certificate["remaining_total"] == 0
    assert set(await system.plaintext(caller.values)) <= INGRESS


async def test_survey_data_follows_the_retention_of_its_request(system: System) -> None:
    """P9: a resolved request's survey decision goes when the request goes, and so does the
    person's registration with their last request."""
    caller = Person.new("Survey Sara", phone="+4722334415")
    request_id = await a_call(system, caller, days_ago=10)
    resolved = await system.http("intake").post(
        f"/requests/{request_id}/status",
        json={"status": "resolved", "resolution": "solved"},
        headers=STAFF,
    )
    assert resolved.status_code == 200, resolved.text
    await system.settle()
    decisions = await system.http("surveys").get(
        "/surveys/decisions", params={"request_id": request_id}, headers=STAFF
    )
    assert [d["state"] for d in decisions.json()] == ["scheduled"]
    system.clock.advance(timedelta(days=366))
    await system.settle()
    (certificate,) = await certificates(system)
    surveys = certificate["participants"]["surveys"]["counts"]
    assert surveys["requests"] == 1 and surveys["invitations"] == 1 and surveys["contacts"] == 1
    left = await system.http("surveys").get(
        "/surveys/decisions", params={"request_id": request_id}, headers=STAFF
    )
    assert left.json() == []


@pytest.mark.both_layers
async def test_an_export_holds_a_large_file_whole(system: System) -> None:
    """P11: the access right covers the files a person gave us. A 3 MB file makes intake's
    part of the export larger than a Kafka record may be: it travels in slices and arrives
    whole (before, intake's outbox stalled on it, and every later event with it)."""
    person = Person.new("Large Lena")
    content = b"".join(b"line %07d of the log they sent\n" % n for n in range(96_000))
    request_id = await with_a_file(system, person, content)
    # a second request with a 4.8 MB file: together over what one store transaction takes
    second = b"".join(b"entry %07d of the second log\n" % n for n in range(150_000))
    await with_a_file(system, person, second)
    found = await system.database("intake")["requests"].find_one({"_id": request_id})
    export = await export_of(system, found["requester_id"])
    assert export["missing"] == []
    kept = export["services"]["intake"]["attachments"]
    contents = {base64.b64decode(k["content_base64"]) for k in kept}
    assert contents == {content, second}
    # what was assembled from the slices is gone with the download
    assert await system.database("retention")["export_slices"].count_documents({}) == 0
    later = await a_call(system, Person.new("After Ana", phone="+4722334499"), days_ago=0)
    assert (await system.http("access").get(f"/requests/{later}", headers=STAFF)).status_code == 200


@pytest.mark.both_layers
async def test_a_form_with_more_files_than_one_request_keeps_is_accepted(system: System) -> None:
    """Three 4.9 MB PDFs on the web form: the request is accepted with the first kept and the
    others listed, not kept (8 MB in all are kept with one message). Before, the embedded
    store's transaction limit turned the whole submission into a 503."""
    person = Person.new("Paper Pia")
    pdf = b"%PDF" + b"0" * 4_899_996
    files = [("files", (f"{n}.pdf", pdf, "application/pdf")) for n in range(3)]
    sent = await system.http("intake").post("/form", data=person.web_form(), files=files)
    assert sent.status_code == 201, sent.text
    await system.settle()
    reference = "SR-" + sent.text.split("<strong>SR-", 1)[1].split("<", 1)[0]
    found = await system.database("intake")["requests"].find_one({"reference": reference})
    view = await system.http("access").get(f"/requests/{found['_id']}", headers=STAFF)
    assert [a["kept"] for a in view.json()["attachments"]] == [True, False, False]
