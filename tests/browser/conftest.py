"""A real browser (Debian's Chromium, driven by Selenium through its ChromeDriver) against the
portal and the four services as real processes on the session's Kafka and store. `make browser`
installs Chromium where it is missing (as root, from Debian's packages)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service as ChromeService

from deploy.local.services import ServiceProcess, service_environment
from deploy.local.stack import free_port
from tests.support.infrastructure import Infrastructure
from tests.support.smtp import SmtpSink
from tests.support.system import four_services

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@support.example", "admin-password-long-enough"
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
    "--window-size=1200,900",
)


@dataclass
class Stack:
    portal: str
    services: dict[str, ServiceProcess]
    mail: SmtpSink


@pytest.fixture
async def stack(
    infrastructure: Infrastructure, instance_prefix: str, mail_sink: SmtpSink, tmp_path: Path
) -> AsyncIterator[Stack]:
    portal_port = free_port()
    portal_url = f"http://127.0.0.1:{portal_port}"
    async with four_services(
        infrastructure,
        instance_prefix=instance_prefix,
        log_dir=tmp_path,
        SMTP_RELAY_HOST="127.0.0.1",
        SMTP_RELAY_PORT=str(mail_sink.port),
        PUBLIC_BASE_URL=portal_url,
        ACCESS_BOOTSTRAP_ADMIN_EMAIL=ADMIN_EMAIL,
        ACCESS_BOOTSTRAP_ADMIN_PASSWORD=ADMIN_PASSWORD,
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
            log_dir=tmp_path,
        )
        portal.start(timeout=60)
        try:
            yield Stack(portal=portal_url, services=services, mail=mail_sink)
        finally:
            portal.stop()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("no Chromium here: `make browser` installs Debian's chromium (as root)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=ChromeService(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(5)
    try:
        yield driver
    finally:
        with contextlib.suppress(Exception):
            driver.quit()


async def add_staff(stack: Stack, role: str, password: str) -> str:
    """The admin adds a member of staff through access's API; their email."""
    async with httpx.AsyncClient(base_url=stack.services["access"].url, timeout=15) as access:
        admin = await access.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        email = f"{role}@support.example"
        added = await access.post(
            "/staff",
            headers={"Authorization": f"Bearer {admin.json()['access_token']}"},
            json={"email": email, "role": role, "password": password},
        )
        assert added.status_code == 201, added.text
        return email
