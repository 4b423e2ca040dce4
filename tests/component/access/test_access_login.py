"""Tokens and login (P3): tampering, expiry, foreign keys, brute force, one-time links."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import jwt

from shared.tokens import KeyRing, issue_token
from tests.component.access.conftest import PASSWORD, Access, bearer
from tests.support.apps import eventually


async def _person(access: Access) -> tuple[str, str, str, str]:
    """A requester with a password and one request: (contact id, email, token, request id)."""
    contact_id = str(uuid4())
    email = f"p.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.activate(email)
    request_id = await access.receive_request(
        requester_id=contact_id, email=email, at=access.clock.now() - timedelta(hours=1)
    )
    return contact_id, email, token, request_id


def _keys(access: Access) -> KeyRing:
    return KeyRing.parse(access.runtime.settings.token_signing_keys.get_secret_value())


async def test_tampered_expired_and_foreign_tokens_are_refused(access: Access) -> None:
    contact_id, _email, token, request_id = await _person(access)
    path = f"/requests/{request_id}"
    assert (await access.http.get(path, headers=bearer(token))).status_code == 200

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "support_staff"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = f"{header}.{forged}.{signature}"
    expired = issue_token(
        contact_id,
        "requester",
        keys=_keys(access),
        now=datetime.now(UTC) - timedelta(hours=2),
        lifetime=timedelta(minutes=15),
    )
    foreign = issue_token(
        contact_id,
        "support_staff",
        keys=KeyRing({"dev1": b"another-key-of-at-least-32-bytes!!"}),
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=15),
    )
    unknown_kid = issue_token(
        contact_id,
        "support_staff",
        keys=KeyRing({"rogue": b"another-key-of-at-least-32-bytes!!"}),
        now=datetime.now(UTC),
        lifetime=timedelta(minutes=15),
    )
    none_alg = jwt.encode(
        {**claims, "exp": int(datetime.now(UTC).timestamp()) + 600}, key=None, algorithm="none"
    )
    for bad, reason in (
        (tampered, "token signature or claims invalid"),
        (expired, "token expired"),
        (foreign, "token signature or claims invalid"),
        (unknown_kid, "token signed with an unknown key"),
        (none_alg, "token signed with an unknown key"),
        ("not-a-token", "malformed token"),
    ):
        for route in (path, "/requests", "/me", "/audit"):
            response = await access.http.get(route, headers=bearer(bad))
            assert response.status_code == 401, (reason, route)
            assert response.json() == {"detail": reason}


async def test_login_is_throttled_per_account_and_does_not_reveal_whether_an_email_exists(
    access: Access,
) -> None:
    _contact, email, _token, _request = await _person(access)
    unknown = f"nobody.{uuid4().hex[:6]}@example.org"
    wrong_known = await access.http.post("/login", json={"email": email, "password": "guess-1"})
    wrong_unknown = await access.http.post("/login", json={"email": unknown, "password": "guess-1"})
    assert wrong_known.status_code == wrong_unknown.status_code == 401
    assert wrong_known.json() == wrong_unknown.json()

    limit = access.runtime.settings.login_failures_per_account
    for attempt in range(2, limit + 1):
        for address in (email, unknown):
            response = await access.http.post(
                "/login", json={"email": address, "password": f"guess-{attempt}"}
            )
            assert response.status_code == 401
    # the account is now locked for the window: even the right password is refused
    for address, password in ((email, PASSWORD), (unknown, PASSWORD)):
        response = await access.http.post("/login", json={"email": address, "password": password})
        assert response.status_code == 429
        assert response.headers["Retry-After"]
    # after the window, the right password works again (time from the injectable clock)
    access.clock.advance(timedelta(minutes=16))
    assert (await access.login(email, PASSWORD)).count(".") == 2


async def test_login_is_throttled_per_client_across_accounts(start_access) -> None:  # type: ignore[no-untyped-def]
    async with start_access(ACCESS_LOGIN_FAILURES_PER_CLIENT=3) as access:
        for n in range(3):
            response = await access.http.post(
                "/login", json={"email": f"spray{n}@example.org", "password": "guess"}
            )
            assert response.status_code == 401
        response = await access.http.post(
            "/login", json={"email": "fresh@example.org", "password": "guess"}
        )
        assert response.status_code == 429


async def test_set_password_links_are_one_time_and_expire(access: Access) -> None:
    contact_id = str(uuid4())
    email = f"link.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.link_token(email)
    account = await access.document("accounts", {"_id": contact_id})
    assert account is not None
    assert token not in str(account)  # only the digest is stored
    assert account["password_hash"] is None

    access.clock.advance(timedelta(hours=49))
    late = await access.http.post(
        "/accounts/set-password", json={"token": token, "password": PASSWORD}
    )
    assert late.status_code == 422
    assert late.json()["detail"][0]["field"] == "token"
    access.clock.advance(timedelta(hours=-49))

    short = await access.http.post(
        "/accounts/set-password", json={"token": token, "password": "short"}
    )
    assert short.status_code == 422
    assert short.json()["detail"][0]["field"] == "password"
    used = await access.http.post(
        "/accounts/set-password", json={"token": token, "password": PASSWORD}
    )
    assert used.status_code == 204
    again = await access.http.post(
        "/accounts/set-password", json={"token": token, "password": PASSWORD + "x"}
    )
    assert again.status_code == 422

    stored = await access.document("accounts", {"_id": contact_id})
    assert stored is not None
    assert stored["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in str(stored)
    me = await access.http.get("/me", headers=bearer(await access.login(email, PASSWORD)))
    assert me.json() == {
        "principal_id": contact_id,
        "role": "requester",
        "has_profile_picture": False,
    }


async def test_a_password_set_while_the_account_is_being_linked_is_kept_with_the_link(
    access: Access,
) -> None:
    """The account is written by two at once: a consumer linking a contact id to it, and its
    owner setting the password. The loser of the write conflict runs again; both changes stay."""
    contact_id = str(uuid4())
    email = f"race.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.link_token(email)
    other_id = str(uuid4())
    async with access.runtime.runner.transaction() as tx:
        await tx.database["accounts"].update_one(
            {"_id": contact_id}, {"$addToSet": {"contact_ids": other_id}}, session=tx.session
        )
        posted = asyncio.create_task(
            access.http.post("/accounts/set-password", json={"token": token, "password": PASSWORD})
        )
        await asyncio.sleep(0.25)  # one argon2 hash (~0.1 s) and the update: it meets our write
    response = await posted
    assert response.status_code == 204, response.text
    stored = await access.document("accounts", {"_id": contact_id})
    assert stored is not None
    assert other_id in stored["contact_ids"]
    assert stored["password_hash"].startswith("$argon2id$")
    assert await access.login(email, PASSWORD)


async def test_the_set_password_mail_waits_for_a_relay_that_is_down(
    start_access, mail_sink
) -> None:  # type: ignore[no-untyped-def]
    mail_sink.stop()
    async with start_access() as access:
        contact_id = str(uuid4())
        email = f"later.{contact_id[:6]}@example.org"
        await access.register_contact(contact_id, email)

        async def retried() -> bool:
            mail = await access.document("mailbox", {"account_id": contact_id})
            return bool(mail and mail["tries"] >= 1)

        await eventually(retried)
        mail_sink.start()
        assert await access.link_token(email)

        async def delivered() -> bool:
            return await access.document("mailbox", {"account_id": contact_id}) is None

        await eventually(delivered)


async def test_a_set_password_mail_the_relay_refuses_for_good_is_dropped_not_retried(
    access: Access,
) -> None:
    gone_id, other_id = str(uuid4()), str(uuid4())
    gone, other = f"gone.{gone_id[:6]}@example.org", f"other.{other_id[:6]}@example.org"
    access.sink.handler.refuse.add(gone)
    await access.register_contact(gone_id, gone)
    await access.register_contact(other_id, other)
    assert await access.link_token(other)

    async def dropped() -> bool:
        return await access.document("mailbox", {"account_id": gone_id}) is None

    await eventually(dropped)  # its one-time link and address go with it
    assert access.sink.to(gone) == []
    registry = access.runtime.registry
    assert registry.get_sample_value("access_mail_total", {"outcome": "refused"}) == 1
    assert registry.get_sample_value("access_mail_total", {"outcome": "relay_unavailable"}) is None


async def test_a_mail_no_message_can_be_made_of_waits_and_holds_no_other_up(
    start_access, mail_sink
) -> None:  # type: ignore[no-untyped-def]
    """A queued mail missing a field (a fault of ours) once failed every round it was due in,
    and the mail due after it waited: it is now put off like a relay failure and counted."""
    broken_id, other_id = str(uuid4()), str(uuid4())
    other = f"other.{other_id[:6]}@example.org"
    mail_sink.stop()
    try:
        async with start_access() as access:
            await access.register_contact(broken_id, f"broken.{broken_id[:6]}@example.org")
            await access.register_contact(other_id, other)

            async def queued() -> bool:
                return await access.document("mailbox", {"account_id": other_id}) is not None

            await eventually(queued)
            await access.runtime.runner.database["mailbox"].update_one(
                {"account_id": broken_id}, {"$unset": {"subject": ""}}
            )
            mail_sink.start()
            assert await access.link_token(other)
            registry = access.runtime.registry

            async def counted() -> bool:
                value = registry.get_sample_value("access_mail_total", {"outcome": "unbuildable"})
                return bool(value)

            await eventually(counted)
            # kept for a later try, not sent and not dropped
            assert await access.document("mailbox", {"account_id": broken_id}) is not None
    finally:
        mail_sink.stop()
        mail_sink.start()
