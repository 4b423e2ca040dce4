"""retention's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.retention import handlers, repository
from services.retention.http import retention_router
from services.retention.settings import RetentionSettings
from shared import topics
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.intake import RequestReceived
from shared.http import install_error_handlers, staff_token_guard
from shared.mongo import Transaction
from shared.service import ServiceRuntime


def create_app(settings: RetentionSettings, *, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock)
    retention = timedelta(days=settings.retention_days)

    async def on_request_received(event: CloudEvent, tx: Transaction) -> None:
        await handlers.start_retention_clock(
            event, clocks=repository.MongoRetentionClocks(tx.database, tx), retention=retention
        )

    runtime.consume(topics.SUPPORT_REQUESTS, {RequestReceived.event_type: on_request_received})
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    app = FastAPI(title="retention", version="0.1.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(
        retention_router(
            staff=staff_token_guard(settings.staff_token),
            clocks=repository.MongoRetentionClocks(runtime.runner.database),
        )
    )
    return app
