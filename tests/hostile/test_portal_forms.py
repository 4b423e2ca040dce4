"""Every form of the portal under hostile input, on the four services in memory: each field of
each form gets, in turn, values a hostile visitor would send, while the others stay sensible.
No answer is a 5xx, script comes back as text, and a form without this browser's anti-forgery
token is refused before anything is done."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.producers import Person
from tests.unit.portal.conftest import Browser, Portal, portal  # noqa: F401 (fixture)
from tests.unit.portal.test_requester_pages import signed_in, writes_in

HOSTILE = [
    "",
    " ",
    "x" * 25_000,
    "<script>alert('pwned')</script>",
    '"><img src=x onerror=alert(1)>',
    '{"$gt": ""}',
    "../../../etc/passwd",
    "a\x00b",
    "line\r\nSet-Cookie: portal_session=stolen",
    "🙂" * 50,
    "2026-13-45T99:99",
    "-1",
]
SENSIBLE = {
    "body": "A message.",
    "email": "someone@example.org",
    "password": "a-long-enough-password",
    "password_again": "a-long-enough-password",
    "token": "t" * 40,
    "name": "Some One",
    "phone": "+4712345678",
    "company": "Acme",
    "right": "erasure",
    "confirm": "yes",
    "status": "pending",
    "resolution": "",
    "colleague_id": "nobody",
    "reason": "a reason",
    "expires": "2030-01-01T00:00:00",
    "scope_kind": "person",
    "scope_id": "p-1",
    "case_reference": "CASE",
    "person_id": "p-1",
}


def forms(app: Any) -> list[tuple[str, list[str]]]:
    """(path, form fields) of every urlencoded POST, from the portal's own OpenAPI document."""
    spec = app.openapi()
    found = []
    for path, operations in spec["paths"].items():
        content = operations.get("post", {}).get("requestBody", {}).get("content", {})
        body = content.get("application/x-www-form-urlencoded")
        if body is None:
            continue
        schema = spec["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
        found.append((path, [f for f in schema["properties"] if f != "csrf"]))
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "unknown-id", path)


async def test_every_form_survives_hostile_fields_and_renders_them_inert(
    portal: Portal,  # noqa: F811
) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser: Browser = await signed_in(portal, person)
    page = await browser.get("/my/data")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    tried = 0
    for path, fields in forms(portal.app):
        if path == "/logout":
            continue
        for field in fields:
            for value in HOSTILE:
                data = {f: SENSIBLE.get(f, "x") for f in fields} | {field: value, "csrf": csrf}
                answer = await browser.http.post(concrete(path), data=data)
                tried += 1
                assert answer.status_code < 500, (path, field, answer.status_code)
                assert "<script>alert" not in answer.text, (path, field)
                assert "onerror=alert" not in answer.text.replace("&#34;", '"').split("<body>")[0]
                assert "stolen" not in answer.headers.get("set-cookie", "")
        # signed out by a form? sign in again so the next form runs signed in
        if "portal_session" not in browser.http.cookies:
            browser = await signed_in_again(person, browser)
    expected = sum(len(fields) for path, fields in forms(portal.app) if path != "/logout")
    assert tried == expected * len(HOSTILE) and expected >= 20


async def test_every_staff_form_survives_hostile_fields(portal: Portal) -> None:  # noqa: F811
    """The console's forms, signed in as support staff (a requester is sent to sign in)."""
    from tests.unit.portal.test_staff_console import STAFF_PASSWORD, a_staff_member, staff_browser

    await writes_in(portal, Person.new("Ada Lovelace"))
    _, email = await a_staff_member(portal, "support_staff")
    staff = await staff_browser(portal, email, STAFF_PASSWORD)
    page = await staff.get("/staff/holds")
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    tried = 0
    for path, fields in forms(portal.app):
        if not path.startswith("/staff/"):
            continue
        for field in fields:
            for value in HOSTILE:
                data = {f: SENSIBLE.get(f, "x") for f in fields} | {field: value, "csrf": csrf}
                answer = await staff.http.post(concrete(path), data=data)
                tried += 1
                assert answer.status_code < 500, (path, field, answer.status_code)
                assert answer.status_code != 303 or "/login" not in answer.headers["location"]
                assert "<script>alert" not in answer.text, (path, field)
    assert tried >= 10 * len(HOSTILE)


async def signed_in_again(person: Person, browser: Browser) -> Browser:
    login = await browser.submit(
        "/login", "/login", {"email": person.email, "password": "a-long-enough-password"}
    )
    assert login.status_code == 303
    return browser


@pytest.mark.parametrize("token", ["", "0" * 64, "forged"])
async def test_a_form_without_this_browsers_token_does_nothing(
    portal: Portal,  # noqa: F811
    token: str,
) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser = await signed_in(portal, person)
    refused = await browser.http.post(
        "/my/data/erasure", data={"right": "erasure", "confirm": "yes", "csrf": token}
    )
    assert refused.status_code in (403, 422)
    await portal.system.settle()
    assert await portal.system.plaintext([person.email])  # nothing was erased
    assert (await browser.get("/my/requests")).status_code == 200
