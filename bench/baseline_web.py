"""Scenario 2's baselines, each a bare FastAPI endpoint that validates a web submission:

- `create_app`: only publishes it to Kafka;
- `create_store_app`: inserts, in one transaction, the documents intake keeps for one web
  submission (BENCH_TEMPLATE: a JSON file in MongoDB's extended JSON, collection → documents,
  as `capture_template` took them from intake's own databases), into fresh collections with
  intake's indexes. Values under a unique index get fresh ones, so submissions never collide.

Run as its own process: `python -m uvicorn --factory bench.baseline_web:create_app` (or
`create_store_app`), with BENCH_KAFKA_BOOTSTRAP naming the broker, BENCH_MONGODB_URL and
BENCH_TEMPLATE the store and the documents."""

from __future__ import annotations

import contextlib
import copy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from bson import ObjectId, json_util
from fastapi import FastAPI, status
from pymongo import AsyncMongoClient

from services.intake.http import WebSubmission

TOPIC = "bench.web"


def bare_app(
    *, stop: Callable[[], Awaitable[None]], start: Callable[[], Awaitable[None]] | None = None
) -> FastAPI:
    """A FastAPI app that starts its one client with the server and stops it afterwards."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if start is not None:
            await start()
        try:
            yield
        finally:
            await stop()

    return FastAPI(lifespan=lifespan)


def create_app() -> FastAPI:
    bootstrap = os.environ["BENCH_KAFKA_BOOTSTRAP"]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    app = bare_app(start=producer.start, stop=producer.stop)

    @app.post("/requests", status_code=status.HTTP_202_ACCEPTED)
    async def submit(submission: WebSubmission) -> dict[str, str]:
        request_id = str(uuid.uuid4())
        await producer.send_and_wait(
            TOPIC, submission.model_dump_json().encode(), key=request_id.encode()
        )
        return {"request_id": request_id}

    _health(app)
    return app


Template = dict[str, dict[str, Any]]
"""Per `database.collection`: its unique-index fields and the documents of one submission."""


def fresh_copy(document: dict[str, Any], unique_fields: list[str]) -> dict[str, Any]:
    """The document with a new `_id` and new values in its uniquely indexed fields."""
    fresh = copy.copy(document)
    fresh["_id"] = ObjectId() if isinstance(document.get("_id"), ObjectId) else uuid.uuid4().hex
    for field in unique_fields:
        if field in fresh:
            fresh[field] = uuid.uuid4().hex
    return fresh


def create_store_app() -> FastAPI:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(os.environ["BENCH_MONGODB_URL"])
    template: Template = json_util.loads(Path(os.environ["BENCH_TEMPLATE"]).read_text())
    app = bare_app(stop=client.close)

    @app.post("/requests", status_code=status.HTTP_202_ACCEPTED)
    async def submit(submission: WebSubmission) -> dict[str, str]:
        async with client.start_session() as session, await session.start_transaction():
            for name, kept in template.items():
                database, collection = name.split(".", 1)
                for document in kept["documents"]:
                    await client[database][collection].insert_one(
                        fresh_copy(document, kept["unique"]), session=session
                    )
        return {"request_id": str(uuid.uuid4())}

    _health(app)
    return app


def _health(app: FastAPI) -> None:
    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}
