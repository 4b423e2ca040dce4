"""Files that come with a web submission (the policy's "information you provide"): kept sealed
with the request when they are a PDF, an image or text within the limits, listed for whoever may
read the request and downloaded through access's audited grant, part of the person's export,
and erased with the request."""

from __future__ import annotations

import json

from tests.support.producers import Person
from tests.unit.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Portal
from tests.unit.portal.test_requester_pages import signed_in
from tests.unit.portal.test_staff_console import STAFF_PASSWORD, a_staff_member, staff_browser

MARKER = b"invoice 4711 for Ada, line one\n"


async def written_in_with_files(portal: Portal, person: Person) -> str:
    form = person.web_form("Invoice attached")
    files = [
        ("files", ("invoice.txt", MARKER, "text/plain")),
        ("files", ("tool.exe", b"MZ\x90\x00", "application/x-msdownload")),
    ]
    answer = await portal.system.http("intake").post("/form", data=form, files=files)
    assert answer.status_code == 201, answer.text
    await portal.system.settle()
    return answer.text


def link_to(page: str, prefix: str) -> str:
    return prefix + page.split(f'href="{prefix}', 1)[1].split('"', 1)[0]


async def test_a_file_from_the_form_is_listed_downloaded_audited_exported_and_erased(
    portal: Portal,
) -> None:
    person = Person.new("Ada Lovelace")
    await written_in_with_files(portal, person)
    requester = await signed_in(portal, person)
    mine = await requester.get("/my/requests")
    request_path = link_to(mine.text, "/my/requests/")
    page = await requester.get(request_path)
    assert "invoice.txt" in page.text and "tool.exe" in page.text
    assert page.text.count("/attachments/") == 1  # the executable is listed, not kept
    download = await requester.get(link_to(page.text, f"{request_path}/attachments/"))
    assert download.status_code == 200 and download.content == MARKER
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"

    stranger = Person.new("Grace Hopper")
    await portal.system.http("intake").post("/requests", json=stranger.web_form())
    await portal.system.settle()
    other = await signed_in(portal, stranger)
    file_path = link_to(page.text, f"{request_path}/attachments/")
    refused = await other.get(file_path)
    assert refused.status_code == 404 and MARKER.decode() not in refused.text

    _, email = await a_staff_member(portal, "support_staff")
    staff = await staff_browser(portal, email, STAFF_PASSWORD)
    request_id = request_path.rsplit("/", 1)[1]
    staff_page = await staff.get(f"/staff/requests/{request_id}")
    staff_file = link_to(staff_page.text, f"/staff/requests/{request_id}/attachments/")
    assert (await staff.get(staff_file)).content == MARKER

    admin = await staff_browser(portal, ADMIN_EMAIL, ADMIN_PASSWORD)
    audit = await admin.get(f"/staff/audit?request_id={request_id}")
    assert audit.text.count("(support_staff)") >= 2 and "(requester)" in audit.text

    exported = await requester.submit("/my/data", "/my/data/export", {})
    await portal.system.settle()
    ready = await requester.follow(exported)
    action = ready.text.split('action="/my/data/export/', 1)[1].split('"', 1)[0]
    csrf = ready.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    export = json.loads(
        (await requester.http.post(f"/my/data/export/{action}", data={"csrf": csrf})).text
    )
    files = export["services"]["intake"]["attachments"]
    assert [f["filename"] for f in files] == ["invoice.txt"]

    erased = await requester.submit(
        "/my/data", "/my/data/erasure", {"right": "erasure", "confirm": "yes"}
    )
    assert "under way" in erased.text
    await portal.system.settle()
    assert await portal.system.plaintext([*person.values, "invoice 4711"]) == {}
    gone = await staff.get(staff_file)
    assert gone.status_code in (404, 410) and MARKER not in gone.content


async def test_a_grant_opens_only_its_own_file_and_only_with_a_valid_signature(
    portal: Portal,
) -> None:
    person = Person.new("Ada Lovelace")
    await written_in_with_files(portal, person)
    intake = portal.system.http("intake")
    docs = portal.system.database("intake")["attachments"].find({})
    (kept,) = [d async for d in docs]
    for grant in ("", "x" * 40, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."):
        answer = await intake.get(f"/attachments/{kept['_id']}", params={"grant": grant})
        assert answer.status_code in (403, 422) and MARKER not in answer.content
