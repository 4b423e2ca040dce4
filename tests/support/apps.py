"""Run a service's app in-process (lifespan included) and poll for eventual results."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TypeVar

import httpx
from fastapi import FastAPI

from deploy.local.groups import commit_at_end
from services.catalogue import CATALOGUE
from shared.kafka import ensure_topics
from shared.service import ServiceRuntime

T = TypeVar("T")


@contextlib.asynccontextmanager
async def running(app: FastAPI, *, from_now: bool = True) -> AsyncIterator[httpx.AsyncClient]:
    """Start the app's lifespan, wait until it is ready, and give an HTTP client to it.

    `from_now`: the app's fresh consumer groups start at the current end of their topics, so a
    test sees its own events, not the whole session's history; False replays from offset 0.
    """
    runtime: ServiceRuntime = app.state.runtime
    if from_now:
        await skip_history(runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await eventually(lambda: _started(runtime), timeout=60)
            await eventually(lambda: _assigned(runtime), timeout=30)
            yield client


async def _started(runtime: ServiceRuntime) -> bool:
    return runtime.started


async def _assigned(runtime: ServiceRuntime) -> bool:
    """Every subscriber has partitions assigned (so nothing published next is missed)."""
    for subscriber in runtime.broker.subscribers:
        consumers = getattr(subscriber, "consumer_subgroup", None) or [
            getattr(subscriber, "consumer", None)
        ]
        if any(consumer is None or not consumer.assignment() for consumer in consumers):
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


async def skip_history(runtime: ServiceRuntime) -> None:
    """Start the service's fresh consumer groups at the current end of their topics."""
    bootstrap = runtime.settings.kafka_bootstrap_servers
    await ensure_topics(
        bootstrap,
        {topic for _, topic in runtime.subscriptions},
        partitions=runtime.settings.kafka_partitions,
    )
    await asyncio.gather(  # side by side: one group's commit does not wait for another's
        *(
            commit_at_end(bootstrap, group_id=group_id, topic=topic)
            for group_id, topic in runtime.subscriptions
        )
    )


async def skip_history_of(name: str, env: dict[str, str]) -> None:
    """The same for a service that will run as a process with this environment."""
    service = CATALOGUE[name]
    with _environment(env):
        settings = service.settings()
    await skip_history(service.create_app(settings).state.runtime)


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
