"""HTTP edges shared by the services: clear 422s that never echo the input."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


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
