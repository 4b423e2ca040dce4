"""The read model: filters, cursor pagination, activity, share grants that expire, the audit."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

from shared import topics
from shared.crypto import seal
from shared.events.intake import MessageAdded, MessageContent, StatusChanged
from tests.component.access.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    STAFF,
    Access,
    bearer,
    requester_token,
)
from tests.support.apps import eventually
from tests.support.kafka import read_topic


async def test_lists_filter_and_page_with_a_cursor_and_follow_activity(access: Access) -> None:
    t0 = access.clock.now() - timedelta(days=2)
    requester, rep = str(uuid4()), str(uuid4())
    email, rep_email = f"r.{requester[:6]}@example.org", f"rep.{rep[:6]}@example.org"
    organisation = f"org-filter-{rep[:6]}"
    await access.sign_contract(
        organisation, contacts={rep: rep_email}, official=rep, at=t0 - timedelta(days=1)
    )
    ids = [  # the odd ones from a representative of the organisation, so they are its
        await access.receive_request(
            requester_id=rep if n % 2 else requester,
            email=rep_email if n % 2 else email,
            at=t0 + timedelta(minutes=n),
        )
        for n in range(5)
    ]
    resolved_at = t0 + timedelta(hours=5)
    await access.publish(
        StatusChanged(
            request_id=ids[0],
            requester_id=requester,
            channel="web",
            from_status="open",
            to_status="resolved",
            resolution="solved",
            changed_by_role="support_staff",
            changed_at=resolved_at,
        ),
        subject=ids[0],
    )
    await access.publish(
        MessageAdded(
            request_id=ids[1],
            message_id=str(uuid4()),
            requester_id=rep,
            channel="email",
            author_role="requester",
            added_at=t0 + timedelta(hours=6),
            content=await seal(
                MessageContent(body="a follow-up"),
                data_subject_id=rep,
                keys=access.runtime.keys,
            ),
        ),
        subject=ids[1],
    )

    async def followed() -> bool:
        first = await access.document("request_views", {"_id": ids[0]})
        second = await access.document("request_views", {"_id": ids[1]})
        return bool(first and first["status"] == "resolved" and second and second.get("messages"))

    await eventually(followed)

    async def listed(**params: str) -> list[str]:
        response = await access.http.get("/requests", params=params, headers=STAFF)
        assert response.status_code == 200, response.text
        return [r["request_id"] for r in response.json() if r["request_id"] in ids]

    assert await listed(status="resolved") == [ids[0]]
    assert await listed(organisation=organisation) == [ids[3], ids[1]]
    since = (t0 + timedelta(hours=4)).isoformat()
    assert set(await listed(updated_since=since)) == {ids[0], ids[1]}
    assert await listed(channel="phone") == []
    detail = (await access.http.get(f"/requests/{ids[1]}", headers=STAFF)).json()
    assert [m["body"] for m in detail["messages"]] == ["a follow-up"]

    # cursor pagination: every request once, newest first
    pages: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        response = await access.http.get("/requests", params=params, headers=STAFF)
        pages += [r["request_id"] for r in response.json()]
        cursor = response.headers.get("X-Next-Cursor")
        if not cursor:
            break
    assert [i for i in pages if i in ids] == list(reversed(ids))
    assert len(pages) == len(set(pages))
    bad = await access.http.get("/requests", params={"cursor": "garbage"}, headers=STAFF)
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "cursor"
    invalid = await access.http.get("/requests", params={"status": "lost"}, headers=STAFF)
    assert invalid.status_code == 422


async def test_a_share_grant_ends_at_its_expiry_or_when_revoked_and_every_read_is_audited(
    access: Access,
) -> None:
    admin = await access.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    colleague_id, colleague = await access.add_staff(admin, "colleague")
    requester = str(uuid4())
    email = f"shared.{requester[:6]}@example.org"
    request_id = await access.receive_request(
        requester_id=requester, email=email, at=access.clock.now() - timedelta(hours=1)
    )
    path = f"/requests/{request_id}"
    assert (await access.http.get(path, headers=bearer(colleague))).status_code == 404

    async def share(hours: int) -> str:
        response = await access.http.post(
            f"{path}/share-grants",
            headers=STAFF,
            json={
                "colleague_id": colleague_id,
                "reason": "legal needs to see the complaint",
                "expires_at": (access.clock.now() + timedelta(hours=hours)).isoformat(),
            },
        )
        assert response.status_code == 201, response.text
        grant_id: str = response.json()["grant_id"]
        return grant_id

    first = await share(hours=2)
    assert (await access.http.get(path, headers=bearer(colleague))).status_code == 200
    assert request_id in {
        r["request_id"]
        for r in (await access.http.get("/requests", headers=bearer(colleague))).json()
    }
    access.clock.advance(timedelta(hours=2, seconds=1))
    assert (await access.http.get(path, headers=bearer(colleague))).status_code == 404
    assert (await access.http.get("/requests", headers=bearer(colleague))).json() == []

    second = await share(hours=24)
    assert (await access.http.get(path, headers=bearer(colleague))).status_code == 200
    revoked = await access.http.delete(f"/share-grants/{second}", headers=STAFF)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert (await access.http.get(path, headers=bearer(colleague))).status_code == 404

    past = await access.http.post(
        f"{path}/share-grants",
        headers=STAFF,
        json={
            "colleague_id": colleague_id,
            "reason": "too late",
            "expires_at": (access.clock.now() - timedelta(hours=1)).isoformat(),
        },
    )
    assert past.status_code == 422
    assert past.json()["detail"][0] == {
        "field": "expires_at",
        "rule": "must be in the future",
        "message": "breaks a rule",
    }

    async def audit_events() -> list[dict[str, object]]:
        records = await read_topic(
            access.runtime.settings.kafka_bootstrap_servers, topics.ACCESS_AUDIT
        )
        decoded = [json.loads(r.value) for r in records]
        found = [
            e
            for e in decoded
            if e["subject"] == request_id
            or any(read["request_id"] == request_id for read in e["data"].get("requests", []))
        ]
        return found if len(found) >= 6 else []

    events = await eventually(audit_events)
    types = [e["type"] for e in events]
    assert types.count("access.share_grant.granted.v1") == 2
    assert types.count("access.share_grant.revoked.v1") == 1
    reads = [
        (e["data"]["reader_id"], r["ground"], r["grant_id"])
        for e in events
        if e["type"] == "access.request.read.v2"
        for r in e["data"]["requests"]
        if r["request_id"] == request_id
    ]
    assert len(reads) == 3  # two details and a listed page
    assert set(reads) >= {
        (colleague_id, "share_grant", first),
        (colleague_id, "share_grant", second),
    }
    raw = json.dumps(events)
    assert email not in raw
    assert "Cannot log in" not in raw
    assert "legal needs to see" not in raw  # the reason stays in access


async def test_an_official_contact_pages_through_own_and_organisation_requests(
    access: Access,
) -> None:
    """Two visibility clauses (own requests, the organisation's) in one `$or` on the real store,
    paged one at a time with the cursor: each request once, newest first, nobody else's."""
    t0 = access.clock.now() - timedelta(days=2)
    official, colleague, outsider = str(uuid4()), str(uuid4()), str(uuid4())
    emails = {who: f"{who[:8]}@example.org" for who in (official, colleague, outsider)}
    organisation = f"org-pages-{official[:6]}"
    own_before = await access.receive_request(  # before the contract: theirs, not the org's
        requester_id=official, email=emails[official], at=t0 - timedelta(days=1)
    )
    await access.sign_contract(
        organisation,
        contacts={official: emails[official], colleague: emails[colleague]},
        official=official,
        at=t0 - timedelta(hours=12),
    )
    visible = [own_before]
    for n in range(4):  # the colleague's are the organisation's only; the official's both
        who = colleague if n % 2 else official
        visible.append(
            await access.receive_request(
                requester_id=who, email=emails[who], at=t0 + timedelta(minutes=n)
            )
        )
    unseen = await access.receive_request(
        requester_id=outsider, email=emails[outsider], at=t0 + timedelta(minutes=9)
    )
    token = bearer(requester_token(access, official))

    async def paged() -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"limit": "1"} | ({"cursor": cursor} if cursor else {})
            response = await access.http.get("/requests", params=params, headers=token)
            assert response.status_code == 200, response.text
            seen += [r["request_id"] for r in response.json()]
            cursor = response.headers.get("X-Next-Cursor")
            if not cursor:
                return seen

    async def all_visible() -> list[str] | None:
        seen = await paged()
        return seen if len(seen) == len(visible) else None

    seen = await eventually(all_visible)
    assert seen == list(reversed(visible))
    assert unseen not in seen
