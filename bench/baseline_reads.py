"""Scenario 4's second baseline: the raw read queries behind a bare FastAPI endpoint.

No authentication, no visibility, no audit: only HTTP, the framework and the one query, so the
difference to access is what the policy costs. Run as its own process:
`python -m uvicorn --factory bench.baseline_reads:create_app`, with BENCH_MONGODB_URL and
BENCH_DATABASE naming the read model's store and database."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from pymongo import DESCENDING, AsyncMongoClient

from bench.bare_endpoint import BareEndpoint
from bench.baseline_web import bare_app

NEWEST_FIRST = [("received_at", DESCENDING), ("_id", DESCENDING)]


def create_app() -> FastAPI:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ["BENCH_MONGODB_URL"], tz_aware=True
    )
    views = client[os.environ["BENCH_DATABASE"]]["request_views"]
    app = bare_app(stop=client.close)

    @app.get("/requests")
    async def list_requests(
        organisation_id: str | None = None,
        requester_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if organisation_id is not None:
            query["organisation_id"] = organisation_id
        if requester_id is not None:
            query["requester_id"] = requester_id
        found = await views.find(query).sort(NEWEST_FIRST).limit(limit).to_list()
        return list(jsonable_encoder(found))

    @app.get("/requests/{request_id}")
    async def read_request(request_id: str) -> dict[str, Any]:
        found = await views.find_one({"_id": request_id})
        if found is None:
            raise HTTPException(404, "no such request")
        return dict(jsonable_encoder(found))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    return app


def baseline_reads(*, mongodb_url: str, database: str, log_dir: Path) -> BareEndpoint:
    """The bare read endpoints, served by uvicorn as their own process (as access is)."""
    return BareEndpoint(
        "baseline reads",
        app="bench.baseline_reads:create_app",
        env={"BENCH_MONGODB_URL": mongodb_url, "BENCH_DATABASE": database},
        log_dir=log_dir,
    )
