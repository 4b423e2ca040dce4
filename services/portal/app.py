"""portal's wiring: create_app(settings) builds the pages; nothing connects until it starts."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from services.portal import pages_accounts, pages_requester, pages_staff
from services.portal.api import ServiceApi, Services
from services.portal.metrics import PortalMetrics
from services.portal.session import Cookies
from services.portal.settings import PortalSettings
from services.portal.text import text_for
from services.portal.web import Pages, install_answers
from shared.wiring import wire

TIMEOUT = httpx.Timeout(10.0, connect=3.0)


def create_app(
    settings: PortalSettings, *, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> FastAPI:
    """`transports` (service name → transport) lets the in-memory tests put each service's ASGI
    app behind its client; by default each is reached over HTTP at its configured URL."""
    chosen = transports or {}

    metrics = PortalMetrics(CollectorRegistry())

    def client(name: str, url: str) -> ServiceApi:
        http = httpx.AsyncClient(base_url=url, timeout=TIMEOUT, transport=chosen.get(name))
        return ServiceApi(http, name=name, calls=metrics.service_calls)

    services = Services(
        access=client("access", settings.access_url),
        intake=client("intake", settings.intake_url),
        retention=client("retention", settings.retention_url),
    )
    cookies = Cookies(form_secret=settings.form_secret, secure=settings.secure_cookies)
    pages = Pages(cookies=cookies, text=text_for(settings.language))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await services.close()

    app = FastAPI(title="portal", version="0.1.0", lifespan=lifespan, docs_url=None)
    wire(app, services, cookies, pages)
    install_answers(app, pages, cookies)
    for module in (pages_accounts, pages_requester, pages_staff):
        app.include_router(module.router)

    @app.get("/healthz", response_class=PlainTextResponse, include_in_schema=False)
    async def healthz() -> str:
        return "ok"

    @app.get("/readyz", response_class=PlainTextResponse, include_in_schema=False)
    async def readyz() -> str:
        return "ok"

    @app.get("/metrics", include_in_schema=False)
    async def metrics_page() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.middleware("http")
    async def count_pages(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        template = getattr(route, "path", "unmatched")
        metrics.pages.labels(
            route=template, method=request.method, status=str(response.status_code)
        ).inc()
        metrics.page_seconds.labels(route=template).observe(time.perf_counter() - started)
        return response

    return app
