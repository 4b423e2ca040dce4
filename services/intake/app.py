"""intake's wiring: create_app(settings) builds the service; nothing connects until it starts."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake import repository
from services.intake.http import intake_router
from services.intake.metrics import IntakeMetrics
from services.intake.settings import IntakeSettings
from shared import topics
from shared.clock import Clock
from shared.http import install_error_handlers
from shared.service import ServiceRuntime


def create_app(settings: IntakeSettings, *, clock: Clock | None = None) -> FastAPI:
    runtime = ServiceRuntime(settings, clock=clock)
    runtime.produces(topics.SUPPORT_REQUESTS)
    runtime.on_startup(lambda: repository.create_indexes(runtime.runner))
    app = FastAPI(title="intake", version="0.1.0", lifespan=runtime.lifespan)
    app.state.runtime = runtime
    install_error_handlers(app)
    app.include_router(runtime.health_router())
    app.include_router(
        intake_router(
            unit_of_work=repository.unit_of_work_factory(runtime.runner, runtime.relay.notify),
            keys=runtime.keys,
            clock=runtime.clock,
            metrics=IntakeMetrics(runtime.registry),
        )
    )
    return app
