"""Scenario 2's baseline: a bare FastAPI endpoint that validates a web submission and inserts,
in one transaction, the documents intake keeps for one web submission (BENCH_TEMPLATE: a JSON
file in MongoDB's extended JSON, collection → documents, as `bench.s2_baseline.capture_template`
took them from intake's own databases), into fresh collections with intake's indexes. Values
under a unique index get fresh ones, so submissions never collide.

Run as its own process: `python -m uvicorn --factory bench.baseline_web:create_app`, with
BENCH_MONGODB_URL and BENCH_TEMPLATE naming the store and the documents."""

from __future__ import annotations

import contextlib
import copy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util
from fastapi import FastAPI, status
from pymongo import AsyncMongoClient

from services.intake.web_intake import WebSubmission


def bare_app(*, stop: Callable[[], Awaitable[None]]) -> FastAPI:
    """A FastAPI app that closes its one store client when the server stops."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await stop()

    return FastAPI(lifespan=lifespan)


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


def create_app() -> FastAPI:
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
