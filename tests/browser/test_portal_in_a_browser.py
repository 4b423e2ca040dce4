"""What a person and a member of staff do, in Chromium: write in through the web form, follow the
mailed link, set a password, sign in, read and answer; staff find it in the inbox and resolve
it; the requester sees it resolved. Forms are usable by keyboard and every field is labelled."""

from __future__ import annotations

import asyncio
import re
from uuid import uuid4

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser.conftest import Stack, add_staff
from tests.support.apps import eventually

PASSWORD = "a-long-enough-password"
LINK = re.compile(r"(http://\S+/accounts/set-password\?token=[A-Za-z0-9_\-]+)")

UNLABELLED = """
return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && !e.closest('[aria-hidden=true]')
               && e.tabIndex !== -1)
  .map(e => e.name);
"""


def fill(driver: webdriver.Chrome, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def unlabelled(driver: webdriver.Chrome) -> list[str]:
    found: list[str] = driver.execute_script(UNLABELLED)
    return found


def requester_journey(driver: webdriver.Chrome, stack: Stack, email: str, link: str) -> None:
    driver.get(link)
    assert unlabelled(driver) == []
    fill(driver, {"password": PASSWORD, "password_again": PASSWORD})
    driver.find_element(By.NAME, "password_again").send_keys(Keys.ENTER)  # by keyboard
    assert "Your password is set" in driver.find_element(By.TAG_NAME, "h1").text
    driver.find_element(By.LINK_TEXT, "Sign in").click()
    assert unlabelled(driver) == []
    fill(driver, {"email": email, "password": PASSWORD})
    driver.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
    assert driver.current_url.endswith("/my/requests")
    row = driver.find_element(By.XPATH, "//td[contains(., 'Printer on fire')]/..")
    row.find_element(By.TAG_NAME, "a").click()
    assert "it is really on fire" in driver.page_source
    fill(driver, {"body": "Still smoking."})
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    assert "Your reply was added." in driver.page_source


async def test_a_person_writes_in_sets_a_password_and_staff_resolve_it(
    stack: Stack, browser: webdriver.Chrome
) -> None:
    email = f"ada.{uuid4().hex[:8]}@example.org"
    intake = stack.services["intake"].url

    def write_in() -> None:
        browser.get(intake + "/")
        fill(
            browser,
            {
                "full_name": "Ada Lovelace",
                "email": email,
                "subject": "Printer on fire",
                "body": "The printer, it is really on fire.",
            },
        )
        browser.find_element(By.CSS_SELECTOR, "form button, form [type=submit]").click()

    await asyncio.to_thread(write_in)

    async def mailed_link() -> str | None:
        for mail in stack.mail.to(email):
            found = LINK.search(mail.get_content())
            if found:
                return found.group(1)
        return None

    link = await eventually(mailed_link, timeout=60)
    assert link.startswith(stack.portal)
    await asyncio.to_thread(requester_journey, browser, stack, email, link)

    staff_email = await add_staff(stack, "support_staff", "staff-password-long-enough")

    def staff_resolve() -> None:
        browser.delete_all_cookies()
        browser.get(stack.portal + "/login")
        fill(browser, {"email": staff_email, "password": "staff-password-long-enough"})
        browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
        assert browser.current_url.endswith("/staff/inbox")
        assert unlabelled(browser) == []
        Select(browser.find_element(By.NAME, "status")).select_by_value("open")
        browser.find_element(By.CSS_SELECTOR, "fieldset button[type=submit]").click()
        browser.find_element(By.XPATH, "//td[contains(., 'Printer on fire')]/../td/a").click()
        assert "Still smoking." in browser.page_source
        assert unlabelled(browser) == []
        Select(browser.find_element(By.ID, "status")).select_by_value("resolved")
        Select(browser.find_element(By.ID, "resolution")).select_by_value("solved")
        status_form = browser.find_element(By.CSS_SELECTOR, "form[action$='/status']")
        status_form.find_element(By.TAG_NAME, "button").click()
        WebDriverWait(browser, 15).until(
            expected_conditions.text_to_be_present_in_element(
                (By.CSS_SELECTOR, "main .notice"), "The status is now resolved"
            )
        )

    await asyncio.to_thread(staff_resolve)

    def requester_sees_resolved() -> None:
        browser.delete_all_cookies()
        browser.get(stack.portal + "/login")
        fill(browser, {"email": email, "password": PASSWORD})
        browser.find_element(By.CSS_SELECTOR, "main button[type=submit]").click()
        row = browser.find_element(By.XPATH, "//td[contains(., 'Printer on fire')]/..")
        assert "resolved" in row.text

    async def resolved_for_the_requester() -> bool:
        try:
            await asyncio.to_thread(requester_sees_resolved)
        except AssertionError:
            return False
        return True

    await eventually(resolved_for_the_requester, timeout=30)
