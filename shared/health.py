"""A service's operational endpoints: `/healthz` (alive), `/readyz` (Kafka and MongoDB
reachable) and `/metrics` (Prometheus)."""

from __future__ import annotations

from typing import Protocol

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from shared.settings import ServiceSettings


class Observed(Protocol):
    settings: ServiceSettings
    registry: CollectorRegistry

    async def problems(self) -> list[str]:
        """Why the service is not ready, or an empty list."""
        ...


def health_router(runtime: Observed) -> APIRouter:
    """The three endpoints, answered from `runtime`."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive", "service": runtime.settings.service_name}

    @router.get(
        "/readyz",
        responses={503: {"description": "not ready: the problems, by component name"}},
    )
    async def readyz() -> JSONResponse:
        problems = await runtime.problems()
        if problems:
            return JSONResponse({"status": "not ready", "problems": problems}, 503)
        return JSONResponse({"status": "ready"})

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)

    return router
