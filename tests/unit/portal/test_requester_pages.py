"""The requester's portal (P3, P6, P11), page by page, from the mail's set-password link to an
erasure, over the four services in memory."""

from __future__ import annotations

import base64
import io
import json

from PIL import Image

from tests.support.producers import Person
from tests.unit.portal.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, Browser, Portal

PASSWORD = "a-long-enough-password"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def writes_in(portal: Portal, person: Person, subject: str = "Cannot open the course") -> str:
    accepted = await portal.system.http("intake").post("/requests", json=person.web_form(subject))
    assert accepted.status_code == 202, accepted.text
    await portal.system.settle()
    return str(accepted.json()["reference"])


async def signed_in(portal: Portal, person: Person) -> Browser:
    browser = portal.browser()
    link = await portal.set_password_link(person.email)
    done = await browser.submit(
        link,
        "/accounts/set-password",
        {"token": link.split("=", 1)[1], "password": PASSWORD, "password_again": PASSWORD},
    )
    assert done.status_code == 200 and "Your password is set" in done.text
    login = await browser.submit("/login", "/login", {"email": person.email, "password": PASSWORD})
    assert (await browser.follow(login)).status_code == 303  # / sends on to my requests
    return browser


async def test_a_person_sets_a_password_from_the_mail_signs_in_and_follows_their_request(
    portal: Portal,
) -> None:
    person = Person.new("Ada Lovelace")
    reference = await writes_in(portal, person)
    browser = await signed_in(portal, person)

    mine = await browser.get("/my/requests")
    assert mine.status_code == 200
    assert reference in mine.text and "Cannot open the course" in mine.text

    request_path = "/my/requests/" + mine.text.split('href="/my/requests/', 1)[1].split('"', 1)[0]
    thread = await browser.get(request_path)
    assert "it shows an error since this morning" in thread.text
    replied = await browser.submit(
        request_path, f"{request_path}/reply", {"body": "Still broken after a restart."}
    )
    await portal.system.settle()
    after = await browser.follow(replied)
    assert "Your reply was added." in after.text
    assert "Still broken after a restart." in after.text

    other = Person.new("Grace Hopper")
    await writes_in(portal, other, "Someone else's problem")
    assert "Someone else&#39;s problem" not in (await browser.get("/my/requests")).text


async def test_a_used_link_says_so_and_offers_a_new_one_that_works(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser = await signed_in(portal, person)
    used = await portal.set_password_link(person.email)

    again = await browser.submit(
        used,
        "/accounts/set-password",
        {"token": used.split("=", 1)[1], "password": PASSWORD, "password_again": PASSWORD},
    )
    assert again.status_code == 410
    assert "This link no longer works" in again.text and 'action="/accounts/new-link"' in again.text

    sent = await browser.submit(used, "/accounts/new-link", {"email": person.email})
    assert sent.status_code == 200 and "is on its way" in sent.text
    await portal.system.settle()
    fresh = await portal.set_password_link(person.email)
    assert fresh != used
    assert (await browser.get(fresh)).status_code == 200

    unknown = await browser.submit("/forgot-password", "/accounts/new-link", {"email": "x@y.org"})
    assert unknown.status_code == 200 and unknown.text == sent.text  # no account enumeration


async def test_pages_need_a_session_and_forms_need_their_token(portal: Portal) -> None:
    browser = portal.browser()
    for page in ("/my/requests", "/my/data", "/staff/inbox"):
        answer = await browser.get(page)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    forged = await browser.http.post(
        "/login", data={"email": "a@b.org", "password": "x" * 12, "csrf": "0" * 64}
    )
    assert forged.status_code == 403 and "This form expired" in forged.text
    wrong = await browser.submit("/login", "/login", {"email": "a@b.org", "password": "x" * 12})
    assert wrong.status_code == 401 and "do not match an account" in wrong.text
    assert "portal_session" not in browser.http.cookies


async def test_the_session_cookie_is_httponly_and_samesite(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser = portal.browser()
    link = await portal.set_password_link(person.email)
    await browser.submit(
        link,
        "/accounts/set-password",
        {"token": link.split("=", 1)[1], "password": PASSWORD, "password_again": PASSWORD},
    )
    login = await browser.submit("/login", "/login", {"email": person.email, "password": PASSWORD})
    cookie = login.headers["set-cookie"]
    assert cookie.startswith("portal_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


async def test_a_profile_picture_is_uploaded_previewed_and_removed(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser = await signed_in(portal, person)
    page = await browser.get("/my/profile")
    assert "No picture." in page.text
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    uploaded = await browser.http.post(
        "/my/profile/picture",
        data={"csrf": csrf},
        files={"picture": ("me.png", png(), "image/png")},
    )
    assert uploaded.status_code == 303
    page = await browser.get("/my/profile")
    assert '<img src="/my/profile/picture"' in page.text
    preview = await browser.get("/my/profile/picture")
    assert preview.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(preview.content)).size == (8, 8)

    rejected = await browser.http.post(
        "/my/profile/picture",
        data={"csrf": csrf},
        files={"picture": ("me.png", b"not a picture", "image/png")},
    )
    assert rejected.status_code == 422 and "not a picture we can use" in rejected.text

    # the picture is part of what is held on the person, so it is in their export (P11)
    asked = await browser.submit("/my/data", "/my/data/export", {})
    await portal.system.settle()
    ready = await browser.follow(asked)
    action = ready.text.split('action="/my/data/export/', 1)[1].split('"', 1)[0]
    data_csrf = ready.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    download = await browser.http.post(f"/my/data/export/{action}", data={"csrf": data_csrf})
    exported = json.loads(download.text)["services"]["access"]["profile_picture"]
    assert exported["media_type"] == "image/png"
    assert base64.b64decode(exported["content_base64"]) == preview.content

    removed = await browser.submit("/my/profile", "/my/profile/picture/remove", {})
    assert removed.status_code == 303
    assert "No picture." in (await browser.get("/my/profile")).text


async def test_the_profile_shows_the_details_kept_and_a_correction_changes_them(
    portal: Portal,
) -> None:
    person = Person.new("Ada Lovelace", phone="+47 22 33 44 55")
    await writes_in(portal, person)
    browser = await signed_in(portal, person)
    profile = await browser.get("/my/profile")
    assert person.full_name in profile.text and person.email in profile.text
    assert "+47 22 33 44 55" in profile.text and "not given" in profile.text  # no company
    form = await browser.get("/my/data")
    assert f'value="{person.full_name}"' in form.text and f'value="{person.email}"' in form.text

    corrected = await browser.submit(
        "/my/data",
        "/my/data/rectification",
        {"name": "Ada King", "email": person.email, "phone": "", "company": "Analytical Ltd"},
    )
    assert corrected.status_code == 200
    await portal.system.settle()
    profile = await browser.get("/my/profile")
    assert "Ada King" in profile.text and "Analytical Ltd" in profile.text
    assert person.full_name not in profile.text and "+47 22 33 44 55" not in profile.text

    admin = await portal.system.http("access").post(
        "/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    not_a_contact = await portal.system.http("intake").get(
        "/contacts/me", headers={"Authorization": f"Bearer {admin.json()['access_token']}"}
    )
    assert not_a_contact.status_code == 404  # staff are nobody's contact


async def test_my_data_is_exported_once_and_an_erasure_takes_the_account(portal: Portal) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person)
    browser = await signed_in(portal, person)
    page = await browser.get("/my/data")
    assert "deleted one year after their last activity" in page.text

    asked = await browser.submit("/my/data", "/my/data/export", {})
    await portal.system.settle()
    status_page = await browser.follow(asked)
    assert "Your data is ready." in status_page.text
    action = status_page.text.split('action="/my/data/export/', 1)[1].split('"', 1)[0]
    csrf = status_page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    download = await browser.http.post(f"/my/data/export/{action}", data={"csrf": csrf})
    assert download.status_code == 200
    assert "attachment" in download.headers["content-disposition"]
    export = json.loads(download.text)
    assert person.email in json.dumps(export["services"])
    assert export["missing"] == []
    again = await browser.http.post(f"/my/data/export/{action}", data={"csrf": csrf})
    assert again.status_code == 410

    unconfirmed = await browser.submit("/my/data", "/my/data/erasure", {"right": "erasure"})
    assert unconfirmed.status_code == 422
    erased = await browser.submit(
        "/my/data", "/my/data/erasure", {"right": "erasure", "confirm": "yes"}
    )
    assert "Your erasure is under way." in erased.text
    await portal.system.settle()
    assert await portal.system.plaintext(person.values) == {}
    again = await portal.browser().submit(
        "/login", "/login", {"email": person.email, "password": PASSWORD}
    )
    assert again.status_code == 401  # the account went too


async def test_script_in_what_people_write_is_shown_as_text_and_pages_are_counted(
    portal: Portal,
) -> None:
    person = Person.new("Ada Lovelace")
    await writes_in(portal, person, '<script>alert("x")</script><img src=x onerror=alert(1)>')
    browser = await signed_in(portal, person)
    mine = await browser.get("/my/requests")
    assert "<script>alert" not in mine.text and "<img src=x" not in mine.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in mine.text

    metrics = (await browser.get("/metrics")).text
    assert 'portal_pages_total{method="GET",route="/my/requests",status="200"}' in metrics
    assert 'portal_service_calls_total{outcome="ok",service="access"}' in metrics
    assert person.email not in metrics and "token=" not in metrics
