"""CRM contracts (P4): out-of-order events, representatives who leave, bad events to the DLQ."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from shared import topics
from shared.events import CloudEvent
from shared.events.crm import (
    ContactLeftOrganization,
    ContractReinstated,
    ContractTerminated,
    OfficialContactAppointed,
    OfficialContactRevoked,
)
from tests.component.access.conftest import STAFF, Access, bearer
from tests.support.apps import eventually
from tests.support.kafka import read_topic


def _email(name: str) -> str:
    return f"{name}.{uuid4().hex[:6]}@example.org"


async def _readable(access: Access, token: str) -> set[str]:
    response = await access.http.get("/requests", headers=bearer(token))
    assert response.status_code == 200
    return {r["request_id"] for r in response.json()}


async def test_contact_events_before_their_contract_are_kept_and_applied(access: Access) -> None:
    org = f"org-{uuid4().hex[:8]}"
    t0 = access.clock.now() - timedelta(hours=6)
    late, first = str(uuid4()), str(uuid4())
    late_email, first_email = _email("late"), _email("first")
    # the CRM's later facts arrive first: a new representative appointed official contact,
    # and the order form's official contact revoked
    await access.upsert_contact(org, late, late_email, at=t0 + timedelta(hours=2))
    await access.publish(
        OfficialContactAppointed(
            organisation_id=org, contact_id=late, appointed_at=t0 + timedelta(hours=3)
        ),
        subject=org,
    )
    await access.publish(
        OfficialContactRevoked(
            organisation_id=org, contact_id=first, revoked_at=t0 + timedelta(hours=3)
        ),
        subject=org,
    )

    async def applied() -> bool:
        rep = await access.document("representatives", {"contact_id": first})
        return bool(rep and rep["official"] is False)

    await eventually(applied)
    # then the contract they belong to, signed earlier, naming `first` as official contact
    await access.sign_contract(org, contacts={first: first_email}, official=first, at=t0)

    async def signed() -> bool:
        found = await access.document("organisations", {"_id": org})
        return bool(found and found.get("name"))

    await eventually(signed)
    first_token = await access.activate(first_email)
    late_token = await access.activate(late_email)
    of_first = await access.receive_request(
        requester_id=first, email=first_email, at=t0 + timedelta(hours=4)
    )
    of_late = await access.receive_request(
        requester_id=late, email=late_email, at=t0 + timedelta(hours=4)
    )
    staff_view = await access.http.get(f"/requests/{of_first}", headers=STAFF)
    assert staff_view.json()["organisation_id"] == org  # derived from the membership

    assert await _readable(access, late_token) == {of_first, of_late}  # the official contact
    assert await _readable(access, first_token) == {of_first}  # revoked: own only

    # contract state: the later reinstatement arriving before the termination wins
    await access.publish(
        ContractReinstated(organisation_id=org, reinstated_at=t0 + timedelta(hours=5)),
        subject=org,
    )
    await access.publish(
        ContractTerminated(
            organisation_id=org,
            termination_date=(t0 + timedelta(hours=4)).date(),
            terminated_at=t0 + timedelta(hours=4),
        ),
        subject=org,
    )

    async def both_applied() -> bool:
        processed = await access.runtime.runner.database["processed_events"].count_documents(
            {"type": {"$in": [ContractReinstated.event_type, ContractTerminated.event_type]}}
        )
        return processed == 2

    await eventually(both_applied)
    organisation = await access.document("organisations", {"_id": org})
    assert organisation is not None
    assert organisation["contract_status"] == "signed"


async def test_a_request_received_before_the_crm_knew_the_representative_joins_the_organisation(
    access: Access,
) -> None:
    org, rep = f"org-{uuid4().hex[:8]}", str(uuid4())
    email = _email("rep")
    t0 = access.clock.now() - timedelta(hours=6)
    before = await access.receive_request(requester_id=rep, email=email, at=t0)
    after = await access.receive_request(
        requester_id=str(uuid4()), email=email, at=t0 + timedelta(hours=2)
    )
    await access.sign_contract(org, contacts={rep: email}, official=rep, at=t0 + timedelta(hours=1))

    async def assigned() -> bool:
        found = await access.document("request_views", {"_id": after})
        return bool(found and found["organisation_id"] == org)

    await eventually(assigned)
    untouched = await access.document("request_views", {"_id": before})
    assert untouched is not None
    assert untouched["organisation_id"] is None  # filed before they represented anyone


async def test_a_representative_who_leaves_loses_the_organisations_requests_not_their_own(
    access: Access,
) -> None:
    org = f"org-{uuid4().hex[:8]}"
    rep, official = str(uuid4()), str(uuid4())
    rep_email, official_email = _email("rep"), _email("official")
    t0 = access.clock.now() - timedelta(hours=6)
    await access.sign_contract(
        org, contacts={rep: rep_email, official: official_email}, official=official, at=t0
    )
    rep_token = await access.activate(rep_email)
    official_token = await access.activate(official_email)
    for_org = await access.receive_request(
        requester_id=rep, email=rep_email, at=t0 + timedelta(hours=1)
    )
    assert await _readable(access, rep_token) == {for_org}

    await access.publish(
        ContactLeftOrganization(
            organisation_id=org, contact_id=rep, left_at=t0 + timedelta(hours=2)
        ),
        subject=org,
    )

    async def gone() -> bool:
        return await _readable(access, rep_token) == set()

    await eventually(gone)
    own = await access.receive_request(
        requester_id=rep, email=rep_email, at=t0 + timedelta(hours=3), subject="private matter"
    )
    assert await _readable(access, rep_token) == {own}
    response = await access.http.get(f"/requests/{for_org}", headers=bearer(rep_token))
    assert response.status_code == 404
    # the request stays with the organisation (P7): its official contact still reads it
    assert await _readable(access, official_token) == {for_org}


async def test_events_that_break_the_contract_are_dead_lettered_with_a_reason(
    access: Access,
) -> None:
    org = f"org-{uuid4().hex[:8]}"
    contact = str(uuid4())
    good = await access.order_form_contact(contact, _email("x"))
    broken = CloudEvent(
        source="/tests",
        type="crm.contract.signed.v1",
        subject=org,
        time=access.clock.now(),
        data={
            "organisation_id": org,
            "name": "Customer",
            "signed_at": access.clock.now().isoformat(),
            "contacts": [good.model_dump(mode="json")],
            "official_contact_id": "someone-not-on-the-form",
        },
    )
    missing = CloudEvent(
        source="/tests",
        type="crm.contact.left_organization.v1",
        subject=org,
        time=access.clock.now(),
        data={"organisation_id": org, "left_at": access.clock.now().isoformat()},
    )
    await access.send(topics.CRM_CONTRACTS, broken)
    await access.send(topics.CRM_CONTACTS, missing)

    async def letters(topic: str) -> list[dict[str, str]]:
        records = await read_topic(
            access.runtime.settings.kafka_bootstrap_servers, topics.dead_letter_topic(topic)
        )
        return [{k: v.decode() for k, v in r.headers} for r in records if r.key == org.encode()]

    [contract_letter] = await eventually(lambda: letters(topics.CRM_CONTRACTS))
    assert contract_letter["dlq-reason"].startswith("data of crm.contract.signed.v1")
    [contact_letter] = await eventually(lambda: letters(topics.CRM_CONTACTS))
    assert "contact_id: missing" in contact_letter["dlq-reason"]
    assert await access.document("organisations", {"_id": org}) is None
