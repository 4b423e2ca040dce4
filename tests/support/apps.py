"""Run a service's app in-process (lifespan included) and poll for eventual results."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx
from fastapi import FastAPI

from shared.service import ServiceRuntime

T = TypeVar("T")


@contextlib.asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan, wait until it is ready, and give an HTTP client to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            runtime: ServiceRuntime = app.state.runtime
            await eventually(lambda: _started(runtime), timeout=60)
            await eventually(lambda: _assigned(runtime), timeout=30)
            yield client


async def _started(runtime: ServiceRuntime) -> bool:
    return runtime.started


async def _assigned(runtime: ServiceRuntime) -> bool:
    """Every subscriber has partitions assigned (so nothing published next is missed)."""
    for subscriber in runtime.broker.subscribers:
        consumer = getattr(subscriber, "consumer", None)
        if consumer is None or not consumer.assignment():
            return False
    return True


async def eventually(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.1
) -> T:
    """Poll until the probe returns something truthy; fail with its last value otherwise."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: T | None = None
    while asyncio.get_running_loop().time() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
