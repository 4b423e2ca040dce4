"""The portal over the four services in memory: pages are fetched the way a browser would (a
cookie jar, forms with their anti-forgery token), and every page's data comes from the services'
own APIs."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from services.portal.app import create_app
from services.portal.settings import PortalSettings
from tests.support.memory import MemorySystem

NOW = datetime.now(UTC).replace(microsecond=0)  # tokens expire by the wall clock
ADMIN_EMAIL = "admin@support.example"
ADMIN_PASSWORD = "admin-password-long-enough"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')
LINK = re.compile(r"set-password\?token=([A-Za-z0-9_\-]+)")


@dataclass
class Browser:
    """A visitor of the portal: one cookie jar, following no redirects by itself."""

    http: httpx.AsyncClient

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def submit(
        self, page: str, action: str, fields: dict[str, str], **kwargs: Any
    ) -> httpx.Response:
        """Open `page`, then send its form to `action` with the page's anti-forgery token."""
        opened = await self.http.get(page)
        match = CSRF.search(opened.text)
        assert match, f"no form on {page}: {opened.status_code}"
        return await self.http.post(action, data={**fields, "csrf": match.group(1)}, **kwargs)

    async def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, (response.status_code, response.text[:300])
        return await self.http.get(response.headers["location"])


@dataclass
class Portal:
    system: MemorySystem
    app: Any

    def browser(self) -> Browser:
        return Browser(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://portal")
        )

    async def set_password_link(self, email: str) -> str:
        """The path of the newest set-password link mailed to `email`."""
        mails = self.system.database("access")["mailbox"].find({"to": email})
        bodies = [m["body"] async for m in mails if "password" in m["subject"]]
        assert bodies, f"no set-password mail to {email}"
        match = LINK.search(bodies[-1])
        assert match
        return f"/accounts/set-password?token={match.group(1)}"


@pytest.fixture
async def portal() -> AsyncIterator[Portal]:
    environment = {
        "ACCESS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
        "ACCESS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    now = datetime.now(UTC).replace(microsecond=0)  # grants and tokens expire by the wall clock
    async with MemorySystem(now=now, **environment).running() as system:
        transports: dict[str, httpx.AsyncBaseTransport] = {
            name: httpx.ASGITransport(app=system.services[name].app)
            for name in ("access", "intake", "retention")
        }
        app = create_app(PortalSettings(), transports=transports)
        yield Portal(system, app)
