"""access's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.access import handlers, repository
from services.access.http import access_router
from services.access.settings import AccessSettings
from shared import topics
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.intake import RequestReceived
from shared.http import install_error_handlers, staff_token_guard
from shared.mongo import Transaction
from shared.service import ServiceRuntime


def create_app(settings: AccessSettings, *, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock)

    async def on_request_received(event: CloudEvent, tx: Transaction) -> None:
        await handlers.record_request_received(
            event,
            read_model=repository.MongoRequestReadModel.in_transaction(tx),
            keys=runtime.keys,
        )

    runtime.consume(topics.SUPPORT_REQUESTS, {RequestReceived.event_type: on_request_received})
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    app = FastAPI(title="access", version="0.1.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(
        access_router(
            staff=staff_token_guard(settings.staff_token),
            read_model=repository.MongoRequestReadModel(runtime.runner.database),
            audit=repository.MongoAuditLog(runtime.runner.database),
            clock=runtime.clock,
        )
    )
    return app
