"""The services' HTTP APIs, called with the staff token; failures become OpsErrors."""

from __future__ import annotations

from typing import Any

import httpx

from ops.output import ExitCode, OpsError
from ops.settings import OpsSettings


def _detail(response: httpx.Response) -> tuple[str, list[str]]:
    """The error body's message and field problems (the services never put values in them)."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase, []
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, list):
        return "the request was refused", [
            f"{item.get('field', '?')}: {item.get('rule', item.get('type', '?'))}"
            for item in detail
            if isinstance(item, dict)
        ]
    return (str(detail) if detail else response.reason_phrase), []


class Services:
    """A client for the four services' APIs, authenticated as support staff."""

    def __init__(self, settings: OpsSettings) -> None:
        self.urls = settings.service_urls()
        self._client = httpx.Client(
            timeout=settings.http_timeout_seconds,
            headers={"authorization": f"Bearer {settings.staff_token.get_secret_value()}"},
        )

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()

    def call(self, method: str, service: str, path: str, *, body: Any = None) -> Any:
        """The JSON answer of one call; raise OpsError for a refusal or no answer."""
        url = self.urls[service] + path
        try:
            response = self._client.request(method, url, json=body)
        except httpx.HTTPError as error:
            raise OpsError(
                f"{service} did not answer at {self.urls[service]} ({type(error).__name__})",
                code=ExitCode.UNREACHABLE,
            ) from None
        if response.is_success:
            return response.json()
        message, details = _detail(response)
        code = {404: ExitCode.NOT_FOUND, 422: ExitCode.INVALID_INPUT}.get(
            response.status_code, ExitCode.UNREACHABLE
        )
        raise OpsError(
            f"{service} answered {response.status_code}: {message}", code=code, details=details
        )

    def probe(self, service: str, path: str) -> tuple[int | None, Any]:
        """Status code and JSON body of an unauthenticated probe; (None, reason) if no answer."""
        try:
            response = self._client.get(self.urls[service] + path)
        except httpx.HTTPError as error:
            return None, type(error).__name__
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None
