"""A real browser (Debian's Chromium, driven by Selenium through its ChromeDriver) against the
portal and the four services as real processes on the session's Kafka and store. `make browser`
installs Chromium where it is missing (as root, from Debian's packages) and axe-core (npm), which
each test injects into every page it looks at: no serious or critical accessibility violation.
Every page looked at is saved as a screenshot in `.screenshots/` (`SCREENSHOTS_DIR`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService

from deploy.local.ports import free_port
from deploy.local.services import ServiceProcess, service_environment
from deploy.local.stack import REPO
from tests.support.infrastructure import Infrastructure
from tests.support.smtp import SmtpSink, smtp_sink
from tests.support.system import four_services

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AXE = Path(
    os.environ.get("AXE_JS")
    or Path.home() / ".cache/support-data-platform/axe-core-4.14.1/axe.min.js"
)
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR") or REPO / ".screenshots")
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@support.example", "admin-password-long-enough"
STAFF_PASSWORD = "staff-password-long-enough"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1100,900",
)
SERIOUS = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(result => done(
  result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.id + ': ' + v.nodes.length)));
"""


@dataclass
class Stack:
    portal: str
    services: dict[str, ServiceProcess]
    mail: SmtpSink


@pytest.fixture(scope="module")
async def stack(
    infrastructure: Infrastructure, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    """The four services and the portal, once for the module (each test makes its own people)."""
    portal_port = free_port()
    portal_url = f"http://127.0.0.1:{portal_port}"
    surveys_port = free_port()
    logs = tmp_path_factory.mktemp("browser")
    with smtp_sink() as mail:
        async with four_services(
            infrastructure,
            instance_prefix=f"t{uuid.uuid4().hex[:10]}_",
            log_dir=logs,
            ports={"surveys": surveys_port},
            SMTP_RELAY_HOST="127.0.0.1",
            SMTP_RELAY_PORT=str(mail.port),
            PUBLIC_BASE_URL=portal_url,
            ACCESS_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
            ACCESS_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
            # every resolution is surveyed at once, on the survey service's own pages
            SURVEYS_PUBLIC_BASE_URL=f"http://127.0.0.1:{surveys_port}",
            SURVEYS_SAMPLE_RATE="1",
            SURVEYS_DELAY="0",
            SURVEYS_DISPATCH_POLL_SECONDS="0.5",
        ) as services:
            portal = ServiceProcess(
                "portal",
                port=portal_port,
                env=service_environment(
                    kafka_bootstrap=infrastructure.kafka_bootstrap,
                    mongodb_url=infrastructure.mongodb_url,
                    PORTAL_ACCESS_URL=services["access"].url,
                    PORTAL_INTAKE_URL=services["intake"].url,
                    PORTAL_RETENTION_URL=services["retention"].url,
                ),
                log_dir=logs,
            )
            portal.start(timeout=60)
            try:
                yield Stack(portal=portal_url, services=services, mail=mail)
            finally:
                portal.stop()


class Browser:
    """One Chromium; `look(name)` saves the page as a screenshot and checks it with axe-core."""

    def __init__(self, driver: webdriver.Chrome, downloads: Path) -> None:
        self.driver = driver
        self.downloads = downloads
        self._axe = AXE.read_text() if AXE.is_file() else None

    def look(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        if self._axe is None:
            return
        self.driver.execute_script(self._axe)
        violations = self.driver.execute_async_script(SERIOUS)
        assert violations == [], f"{name}: {violations}"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("no Chromium here: `make browser` installs Debian's chromium (as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(options=options, service=ChromeService(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(5)
    driver.set_script_timeout(30)
    try:
        yield Browser(driver, downloads)
    finally:
        with contextlib.suppress(Exception):
            driver.quit()


async def add_staff(stack: Stack, role: str) -> tuple[str, str]:
    """The admin adds a member of staff through access's API; (their id, their email)."""
    async with httpx.AsyncClient(base_url=stack.services["access"].url, timeout=15) as access:
        admin = await access.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        email = f"{role}.{uuid.uuid4().hex[:6]}@support.example"
        added = await access.post(
            "/staff",
            headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
            json={"email": email, "role": role, "password": STAFF_PASSWORD},
        )
        assert added.status_code == 201, added.text
        return str(added.json()["staff_id"]), email
