"""The support staff's console (P6, P8, P9, P11) over the four services in memory: the inbox,
a request's thread, reply and status, sharing with a colleague until revoked, the audit trail,
legal holds and retention status."""

from __future__ import annotations

from datetime import timedelta

from tests.support.intake import mail
from tests.support.producers import Person
from tests.unit.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, NOW, Browser, Portal

STAFF_PASSWORD = "staff-password-long-enough"


async def staff_browser(portal: Portal, email: str, password: str) -> Browser:
    browser = portal.browser()
    login = await browser.submit("/login", "/login", {"email": email, "password": password})
    landing = await browser.follow(login)
    assert landing.headers["location"] == "/staff/inbox"
    return browser


async def a_staff_member(portal: Portal, role: str) -> tuple[str, str]:
    """The admin adds a member of staff (admins manage; they do not read requests)."""
    access = portal.system.http("access")
    admin = await access.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    email = f"{role}@support.example"
    added = await access.post(
        "/staff",
        headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
        json={"email": email, "role": role, "password": STAFF_PASSWORD},
    )
    assert added.status_code == 201, added.text
    return str(added.json()["staff_id"]), email


def link_to_request(page: str) -> str:
    return "/staff/requests/" + page.split('href="/staff/requests/', 1)[1].split('"', 1)[0]


async def test_staff_read_answer_resolve_and_the_read_is_audited(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    accepted = await portal.system.http("intake").post("/requests", json=person.web_form())
    await portal.system.settle()
    _, email = await a_staff_member(portal, "support_staff")
    staff = await staff_browser(portal, email, STAFF_PASSWORD)

    inbox = await staff.get("/staff/inbox")
    assert accepted.json()["reference"] in inbox.text
    assert accepted.json()["reference"] not in (await staff.get("/staff/inbox?status=closed")).text
    assert accepted.json()["reference"] in (await staff.get("/staff/inbox?channel=web")).text

    request_path = link_to_request(inbox.text)
    page = await staff.get(request_path)
    assert person.email in page.text and "it shows an error since this morning" in page.text
    await staff.submit(request_path, f"{request_path}/reply", {"body": "Try clearing the cache."})
    resolved = await staff.submit(
        request_path, f"{request_path}/status", {"status": "resolved", "resolution": "solved"}
    )
    await portal.system.settle()
    after = await staff.follow(resolved)
    assert "Try clearing the cache." in after.text and "<strong>resolved</strong>" in after.text

    admin = await staff_browser(portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    request_id = request_path.rsplit("/", 1)[1]
    audit = await admin.get(f"/staff/audit?request_id={request_id}")
    assert audit.status_code == 200 and "(support_staff)" in audit.text
    assert (await staff.get(f"/staff/audit?request_id={request_id}")).status_code == 403


async def test_a_colleague_sees_a_shared_request_until_the_share_is_revoked(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await portal.system.http("intake").post("/requests", json=person.web_form())
    await portal.system.settle()
    colleague_id, colleague_email = await a_staff_member(portal, "colleague")
    _, staff_email = await a_staff_member(portal, "support_staff")
    staff = await staff_browser(portal, staff_email, STAFF_PASSWORD)
    colleague = await staff_browser(portal, colleague_email, STAFF_PASSWORD)
    assert "/staff/requests/" not in (await colleague.get("/staff/inbox")).text

    request_path = link_to_request((await staff.get("/staff/inbox")).text)
    expires = (NOW + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    shared = await staff.submit(
        request_path,
        f"{request_path}/share",
        {"colleague_id": colleague_id, "reason": "second opinion", "expires": expires},
    )
    assert shared.status_code == 200 and "Revoke" in shared.text
    await portal.system.settle()
    assert link_to_request((await colleague.get("/staff/inbox")).text) == request_path
    assert person.email in (await colleague.get(request_path)).text

    listed = await staff.get(request_path)  # the request lists its shares, each revocable
    assert colleague_id in listed.text and 'action="/staff/grants/' in listed.text
    revoke = listed.text.split('action="/staff/grants/', 1)[1].split('"', 1)[0]
    csrf = listed.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    revoked = await staff.http.post(f"/staff/grants/{revoke}", data={"csrf": csrf})
    assert revoked.status_code == 303
    await portal.system.settle()
    assert "/staff/requests/" not in (await colleague.get("/staff/inbox")).text
    assert 'action="/staff/grants/' not in (await staff.get(request_path)).text  # inactive now
    denied = await colleague.get(request_path)
    assert denied.status_code in (403, 404) and person.email not in denied.text


async def test_legal_holds_are_placed_and_released_and_retention_is_shown(portal: Portal) -> None:
    staff = await staff_browser(portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    placed = await staff.submit(
        "/staff/holds",
        "/staff/holds",
        {
            "scope_kind": "organisation",
            "scope_id": "org-42",
            "reason": "legal_obligation",
            "case_reference": "CASE-7",
        },
    )
    holds = await staff.follow(placed)
    assert "organisation org-42" in holds.text and "CASE-7" in holds.text
    assert 'action="/staff/holds/' in holds.text
    release = holds.text.split('action="/staff/holds/', 1)[1].split('"', 1)[0]
    csrf = holds.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    released = await staff.http.post(f"/staff/holds/{release}", data={"csrf": csrf})
    after = await staff.follow(released)
    assert 'action="/staff/holds/' not in after.text  # no active hold left to release

    status = await staff.get("/staff/retention")
    assert status.status_code == 200 and "legal holds active" in status.text


async def test_a_requester_cannot_open_the_console(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await portal.system.http("intake").post("/requests", json=person.web_form())
    await portal.system.settle()
    from tests.unit.portal.test_requester_pages import signed_in

    requester = await signed_in(portal, person)
    for page in ("/staff/inbox", "/staff/holds", "/staff/retention"):
        answer = await requester.get(page)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


async def test_staff_see_who_else_wrote_on_a_thread_by_the_id_a_request_about_them_names(
    portal: Portal,
) -> None:
    """P11: someone copied in answers a request's thread; the staff page names them by the id
    that an export or erasure for them takes (their name and address are in their mail)."""
    ada, carol = Person.new("Ada Lovelace"), Person.new("Carol Copied")
    accepted = await portal.system.http("intake").post("/requests", json=ada.web_form())
    await portal.system.settle()
    reference = accepted.json()["reference"]
    answer = mail(
        sender=carol.email, name=carol.full_name, subject=f"Re: [{reference}]", body="Me too"
    )
    await portal.system.send_mail(answer)
    await portal.system.settle()
    carol_id = (
        await portal.system.database("intake")["contacts"].find_one({"email": carol.email})
    )["_id"]
    _, email = await a_staff_member(portal, "support_staff")
    staff = await staff_browser(portal, email, STAFF_PASSWORD)
    page = await staff.get(link_to_request((await staff.get("/staff/inbox")).text))
    assert f"written by data subject {carol_id}" in page.text
