"""Scenario 2's baseline: a bare FastAPI endpoint that validates and only publishes to Kafka.

Run as its own process: `python -m uvicorn --factory bench.baseline_web:create_app`, with
BENCH_KAFKA_BOOTSTRAP naming the broker."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from aiokafka import AIOKafkaProducer
from fastapi import FastAPI, status

from services.intake.http import WebSubmission

TOPIC = "bench.web"


def create_app() -> FastAPI:
    bootstrap = os.environ["BENCH_KAFKA_BOOTSTRAP"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await producer.start()
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(lifespan=lifespan)

    @app.post("/requests", status_code=status.HTTP_202_ACCEPTED)
    async def submit(submission: WebSubmission) -> dict[str, str]:
        request_id = str(uuid.uuid4())
        await producer.send_and_wait(
            TOPIC, submission.model_dump_json().encode(), key=request_id.encode()
        )
        return {"request_id": request_id}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    return app
