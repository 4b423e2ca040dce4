"""Run one service's app under uvicorn with JSON logging."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from shared.logging import configure_logging
from shared.settings import DevelopmentSecretsError, ServiceSettings


def serve(app: FastAPI, settings: ServiceSettings) -> None:
    configure_logging(service=settings.service_name, level=settings.log_level)
    try:
        settings.refuse_development_secrets()
    except DevelopmentSecretsError as refusal:
        raise SystemExit(str(refusal)) from None
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
