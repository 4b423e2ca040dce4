"""The services' public APIs as the portal uses them: every call carries the signed-in person's
token, so the access rules stay in the services (P6) and every read is audited there."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import Counter


class ApiError(Exception):
    """A service said no: its status and its own explanation (never personal data)."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    body: Any
    headers: httpx.Headers


class ServiceApi:
    """One service's API over one HTTP client; each call counted by outcome."""

    def __init__(
        self, client: httpx.AsyncClient, *, name: str, calls: Counter | None = None
    ) -> None:
        self._client = client
        self._name = name
        self._calls = calls

    def _count(self, outcome: str) -> None:
        if self._calls is not None:
            self._calls.labels(service=self._name, outcome=outcome).inc()

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: dict[str, str] | None = None,
        content: bytes | None = None,
        content_type: str | None = None,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = await self._client.request(
                method, path, json=json, params=params, content=content, headers=headers
            )
        except httpx.HTTPError:
            self._count("failed")
            raise ApiError(503, "service unreachable") from None
        self._count(
            "ok"
            if response.status_code < 400
            else "failed"
            if response.status_code >= 500
            else "refused"
        )
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail")
            except ValueError:
                detail = None
            raise ApiError(response.status_code, detail)
        if response.status_code == 204 or not response.content:
            return Answer(None, response.headers)
        if response.headers.get("content-type", "").startswith("application/json"):
            return Answer(response.json(), response.headers)
        return Answer(response.content, response.headers)

    async def close(self) -> None:
        await self._client.aclose()


@dataclass(frozen=True)
class Services:
    """The three services the pages talk to."""

    access: ServiceApi
    intake: ServiceApi
    retention: ServiceApi

    async def close(self) -> None:
        for api in (self.access, self.intake, self.retention):
            await api.close()
