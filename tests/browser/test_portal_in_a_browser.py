"""What people do, in Chromium, against the real services: a person writes in through the web
form, follows the mailed link, sets a password, signs in, reads, replies and downloads their
data; staff find it in the inbox, resolve it and share it with a colleague, who sees it only
until the share expires; a signed-out visitor and a stranger get nothing. Every page looked at is
checked with axe-core and saved as a screenshot."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import STAFF_PASSWORD, Browser, Stack, add_staff
from tests.browser.pages import click, fill, labelled, replaced, sign_in, submit
from tests.support.apps import eventually
from tests.support.system import STAFF_TOKEN

PASSWORD = "a-long-enough-password"
LINK = re.compile(r"(http://\S+/accounts/set-password\?token=[A-Za-z0-9_\-]+)")


async def mailed_link(stack: Stack, email: str) -> str:
    async def newest() -> str | None:
        links = [
            found.group(1)
            for mail in stack.mail.to(email)
            if (found := LINK.search(mail.get_content()))
        ]
        return links[-1] if links else None

    return await eventually(newest, timeout=60)


async def written_in(stack: Stack, subject: str) -> tuple[str, str]:
    """A person writes in through intake's web API; (their email, the request's id)."""
    email = f"p.{uuid4().hex[:8]}@example.org"
    form = {"full_name": "Pat Person", "email": email, "subject": subject, "body": "Details."}
    async with httpx.AsyncClient(base_url=stack.services["intake"].url) as intake:
        accepted = await intake.post("/requests", json=form)
    assert accepted.status_code == 202, accepted.text
    return email, str(accepted.json()["request_id"])


async def test_a_person_writes_in_follows_the_mail_replies_and_downloads_their_data(
    stack: Stack, browser: Browser
) -> None:
    email = f"ada.{uuid4().hex[:8]}@example.org"
    driver = browser.driver

    def write_in() -> None:
        driver.get(stack.services["intake"].url + "/")
        browser.look("01-web-form")
        fill(
            browser,
            {
                "full_name": "Ada Lovelace",
                "email": email,
                "subject": "Printer on fire",
                "body": "The printer, it is really on fire.",
            },
        )
        photo = browser.downloads.parent / "printer-photo.txt"
        photo.write_text("smoke rising from tray 2\n")
        driver.find_element(By.NAME, "files").send_keys(str(photo))
        click(browser, driver.find_element(By.CSS_SELECTOR, "form button, form [type=submit]"))

    await asyncio.to_thread(write_in)
    link = await mailed_link(stack, email)
    assert link.startswith(stack.portal)

    def journey() -> None:
        driver.get(link)
        browser.look("02-set-password")
        labelled(browser)
        fill(browser, {"password": PASSWORD, "password_again": PASSWORD})
        old_page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.NAME, "password_again").send_keys(Keys.ENTER)  # by keyboard
        WebDriverWait(driver, 20).until(replaced(old_page))
        assert "Your password is set" in driver.find_element(By.TAG_NAME, "h1").text
        click(browser, driver.find_element(By.LINK_TEXT, "Sign in"))
        browser.look("03-sign-in")
        labelled(browser)
        fill(browser, {"email": email, "password": PASSWORD})
        submit(browser)
        assert driver.current_url.endswith("/my/requests")
        browser.look("04-my-requests")
        row = driver.find_element(By.XPATH, "//td[contains(., 'Printer on fire')]/..")
        click(browser, row.find_element(By.TAG_NAME, "a"))
        assert "it is really on fire" in driver.page_source
        assert "printer-photo.txt" in driver.find_element(By.TAG_NAME, "main").text
        labelled(browser)
        fill(browser, {"body": "Still smoking."})
        submit(browser)
        assert "Your reply was added." in driver.page_source
        browser.look("05-my-request")
        click(browser, driver.find_element(By.LINK_TEXT, "Profile"))
        browser.look("06-profile")
        click(browser, driver.find_element(By.LINK_TEXT, "My data"))
        browser.look("07-my-data")
        labelled(browser)
        submit(browser, "form[action='/my/data/export'] button")
        deadline = time.monotonic() + 60
        while "Your data is ready." not in driver.page_source:
            assert time.monotonic() < deadline, "the export was never ready"
            time.sleep(0.5)
            driver.refresh()
        # a download: the page stays where it is
        driver.find_element(By.CSS_SELECTOR, "form[action$='/download'] button").click()
        deadline = time.monotonic() + 20
        while not _downloaded(browser.downloads, "my-data*.json"):
            assert time.monotonic() < deadline, "nothing downloaded"
            time.sleep(0.2)
        (saved,) = browser.downloads.glob("my-data*.json")
        export = json.loads(saved.read_text())
        assert email in json.dumps(export["services"]) and export["missing"] == []

    await asyncio.to_thread(journey)


def _downloaded(folder: Path, pattern: str) -> bool:
    """A finished download: Chrome may reserve the file's name with an empty file first and
    write to `<name>.crdownload` meanwhile (one run read the empty placeholder)."""
    finished = [f for f in folder.glob(pattern) if f.stat().st_size > 0]
    return bool(finished) and not list(folder.glob("*.crdownload"))


async def test_staff_resolve_and_share_and_the_colleague_loses_it_at_expiry(
    stack: Stack, browser: Browser
) -> None:
    requester_email, request_id = await written_in(stack, "Share me please")
    _, staff_email = await add_staff(stack, "support_staff")
    colleague_id, colleague_email = await add_staff(stack, "colleague")
    driver = browser.driver
    expires_at = (datetime.now(UTC) + timedelta(seconds=8)).replace(microsecond=0)

    def staff_work() -> None:
        sign_in(browser, stack.portal, staff_email, STAFF_PASSWORD)
        assert driver.current_url.endswith("/staff/inbox")
        browser.look("10-staff-inbox")
        labelled(browser)
        Select(driver.find_element(By.NAME, "status")).select_by_value("open")
        submit(browser, "fieldset button[type=submit]")
        click(
            browser, driver.find_element(By.XPATH, "//td[contains(., 'Share me please')]/../td/a")
        )
        browser.look("11-staff-request")
        labelled(browser)
        Select(driver.find_element(By.ID, "status")).select_by_value("resolved")
        Select(driver.find_element(By.ID, "resolution")).select_by_value("solved")
        submit(browser, "form[action$='/status'] button")
        WebDriverWait(driver, 15).until(
            expected_conditions.text_to_be_present_in_element(
                (By.CSS_SELECTOR, "main .notice"), "The status is now resolved"
            )
        )
        fill(browser, {"colleague_id": colleague_id, "reason": "second opinion"})
        expires = driver.find_element(By.ID, "expires")
        driver.execute_script(
            "arguments[0].value = arguments[1]", expires, expires_at.strftime("%Y-%m-%dT%H:%M:%S")
        )
        submit(browser, "form[action$='/share'] button")
        assert "Shared with" in driver.find_element(By.TAG_NAME, "h1").text
        browser.look("12-staff-shared")
        click(browser, driver.find_element(By.LINK_TEXT, "Legal holds"))
        browser.look("13-staff-legal-holds")
        click(browser, driver.find_element(By.LINK_TEXT, "Retention"))
        browser.look("14-staff-retention")

    await asyncio.to_thread(staff_work)

    def colleague_sees() -> bool:
        sign_in(browser, stack.portal, colleague_email, STAFF_PASSWORD)
        return "Share me please" in driver.page_source

    assert await eventually(lambda: asyncio.to_thread(colleague_sees), timeout=10)
    await asyncio.to_thread(browser.look, "15-colleague-inbox")
    await asyncio.sleep(max(0.0, (expires_at - datetime.now(UTC)).total_seconds()) + 1)

    def colleague_after_expiry() -> None:
        driver.get(stack.portal + "/staff/inbox")
        assert "Share me please" not in driver.page_source
        driver.get(f"{stack.portal}/staff/requests/{request_id}")
        assert "Details." not in driver.page_source and requester_email not in driver.page_source

    await asyncio.to_thread(colleague_after_expiry)


async def test_a_signed_out_visitor_and_a_stranger_get_nothing(
    stack: Stack, browser: Browser
) -> None:
    _, request_id = await written_in(stack, "Private matter")
    stranger_email, _ = await written_in(stack, "My own matter")
    link = await mailed_link(stack, stranger_email)
    driver = browser.driver

    def visits() -> None:
        for path in (f"/my/requests/{request_id}", f"/staff/requests/{request_id}", "/my/data"):
            driver.get(stack.portal + path)
            assert driver.current_url.endswith("/login"), path
        driver.get(link)
        fill(browser, {"password": PASSWORD, "password_again": PASSWORD})
        submit(browser)
        sign_in(browser, stack.portal, stranger_email, PASSWORD)
        assert "My own matter" in driver.page_source
        assert "Private matter" not in driver.page_source
        driver.get(f"{stack.portal}/my/requests/{request_id}")
        assert "Private matter" not in driver.page_source and "Details." not in driver.page_source
        browser.look("20-stranger-refused")
        driver.get(f"{stack.portal}/staff/inbox")
        assert driver.current_url.endswith("/login")

    await asyncio.to_thread(visits)


SURVEY = re.compile(r"(http://\S+/surveys/(?:respond|opt-out)/[A-Za-z0-9_\-]+)")


async def test_after_the_resolution_the_person_answers_the_survey_and_opts_out(
    stack: Stack, browser: Browser
) -> None:
    requester_email, _ = await written_in(stack, "Please survey me")
    _, staff_email = await add_staff(stack, "support_staff")
    driver = browser.driver

    def resolve() -> None:
        sign_in(browser, stack.portal, staff_email, STAFF_PASSWORD)
        click(
            browser, driver.find_element(By.XPATH, "//td[contains(., 'Please survey me')]/../td/a")
        )
        Select(driver.find_element(By.ID, "status")).select_by_value("resolved")
        Select(driver.find_element(By.ID, "resolution")).select_by_value("solved")
        submit(browser, "form[action$='/status'] button")

    await asyncio.to_thread(resolve)

    async def invitation() -> list[str] | None:
        for mail in stack.mail.to(requester_email):
            links = SURVEY.findall(mail.get_content())
            if links:
                return links
        return None

    respond, opt_out = await eventually(invitation, timeout=60)
    assert respond.startswith(stack.services["surveys"].url) and "/respond/" in respond

    def answer_and_opt_out() -> None:
        driver.delete_all_cookies()
        driver.get(respond)
        assert "How did we do?" in driver.find_element(By.TAG_NAME, "h1").text
        browser.look("30-survey")
        labelled(browser)
        driver.find_element(By.CSS_SELECTOR, "input[name=score][value='5']").send_keys(Keys.SPACE)
        fill(browser, {"comment": "Quick and kind."})
        submit(browser, "form button[type=submit]")
        assert "Thank you" in driver.find_element(By.TAG_NAME, "h1").text
        browser.look("31-survey-thanks")
        driver.get(respond)  # the link works once
        assert "Already answered" in driver.find_element(By.TAG_NAME, "h1").text
        driver.get(opt_out)  # opening the link alone never opts out
        assert "Stop satisfaction surveys" in driver.find_element(By.TAG_NAME, "h1").text
        browser.look("32-survey-opt-out")
        submit(browser, "form button[type=submit]")
        assert "You will not be asked again" in driver.find_element(By.TAG_NAME, "h1").text

    await asyncio.to_thread(answer_and_opt_out)
    async with httpx.AsyncClient(base_url=stack.services["surveys"].url, timeout=15) as surveys:
        results = await surveys.get(
            "/surveys/results", headers={"Authorization": f"Bearer {STAFF_TOKEN}"}
        )
    assert results.status_code == 200, results.text
    assert results.json()["overall"]["responses"] >= 1
