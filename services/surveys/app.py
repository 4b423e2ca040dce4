"""surveys' wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.surveys import handlers, repository
from services.surveys.http import surveys_router
from services.surveys.settings import SurveySettings
from shared import topics
from shared.clock import Clock
from shared.events import CloudEvent
from shared.events.intake import RequestReceived
from shared.http import install_error_handlers, staff_token_guard
from shared.mongo import Transaction
from shared.service import ServiceRuntime


def create_app(settings: SurveySettings, *, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock)

    async def on_request_received(event: CloudEvent, tx: Transaction) -> None:
        await handlers.watch_new_request(
            event, candidates=repository.MongoSurveyCandidates(tx.database, tx)
        )

    runtime.consume(topics.SUPPORT_REQUESTS, {RequestReceived.event_type: on_request_received})
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    app = FastAPI(title="surveys", version="0.1.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(
        surveys_router(
            staff=staff_token_guard(settings.staff_token),
            candidates=repository.MongoSurveyCandidates(runtime.runner.database),
        )
    )
    return app
