"""HTTP edges shared by the services: clear 422s without echoing input, staff bearer token."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr


def describe_validation_errors(errors: Any) -> list[dict[str, str]]:
    """One entry per problem: the field, the rule it broke, and a message; never the input."""
    described = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        described.append(
            {
                "field": ".".join(location) or "<body>",
                "rule": str(error.get("type", "invalid")),
                "message": str(error.get("msg", "invalid value")),
            }
        )
    return described


def install_error_handlers(app: FastAPI) -> None:
    """422 bodies a form can show: which field, which rule. Values are not echoed (may be personal)."""

    @app.exception_handler(RequestValidationError)
    async def on_invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"detail": describe_validation_errors(error.errors())},
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )


_bearer = HTTPBearer(auto_error=False)


def staff_token_guard(configured: SecretStr) -> Any:
    """A dependency admitting support staff by the configured bearer token (until access issues tokens)."""

    async def require_staff(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> str:
        if credentials is None or not hmac.compare_digest(
            credentials.credentials.encode(), configured.get_secret_value().encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "a valid support-staff bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return "support_staff"

    return Depends(require_staff)
