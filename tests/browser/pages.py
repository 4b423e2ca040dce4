"""What a test does on a page in Chromium: fill a form, click and wait for the next page, check
every field is labelled, sign in."""

from __future__ import annotations

from collections.abc import Callable

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser

UNLABELLED = """
return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
  .filter(e => !(e.labels && e.labels.length) && e.tabIndex !== -1).map(e => e.name);
"""


def fill(browser: Browser, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        element = browser.driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)


def replaced(old_page: WebElement) -> Callable[[object], bool]:
    """Whether the page an element belongs to was replaced. Selenium's staleness_of, plus the
    way Chromium sometimes says it mid-navigation: "Node ... does not belong to the document"."""

    def check(_: object) -> bool:
        try:
            old_page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    return check


def click(browser: Browser, element: WebElement) -> None:
    """Click a link or a button and wait for the page it leads to (a click returns before)."""
    old_page = browser.driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser.driver, 20).until(replaced(old_page))


def submit(browser: Browser, css: str = "main form button[type=submit]") -> None:
    click(browser, browser.driver.find_element(By.CSS_SELECTOR, css))


def labelled(browser: Browser) -> None:
    assert browser.driver.execute_script(UNLABELLED) == []


def sign_in(browser: Browser, portal: str, email: str, password: str) -> None:
    browser.driver.delete_all_cookies()
    browser.driver.get(portal + "/login")
    fill(browser, {"email": email, "password": password})
    submit(browser)
