"""Module-level routers reach their service's dependencies through the app, by type.

`create_app` wires one instance of each dependency (`wire(app, privacy, authenticator)`);
a route declares `privacy: Annotated[PrivacyService, Depends(wired(PrivacyService))]`.
Nothing is global, so two apps in one process (the tests) never share a dependency, and a test
can still replace one with FastAPI's `app.dependency_overrides`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request

Wired = TypeVar("Wired")


def wire(app: FastAPI, *instances: object) -> None:
    """Make each instance the app's one dependency of its own type."""
    registry = _registry(app)
    for instance in instances:
        registry[type(instance)] = instance


def wire_as(app: FastAPI, kind: type[Wired], instance: Wired) -> None:
    """Make `instance` the app's dependency of type `kind` (a fake standing in for it, say)."""
    _registry(app)[kind] = instance


def _registry(app: FastAPI) -> dict[type[Any], object]:
    registry: dict[type[Any], object] | None = getattr(app.state, "wired", None)
    if registry is None:
        registry = app.state.wired = {}
    return registry


_DEPENDENCIES: dict[type[Any], Callable[[Request], Awaitable[Any]]] = {}


def wired(kind: type[Wired]) -> Callable[[Request], Awaitable[Wired]]:
    """A FastAPI dependency returning the app's wired instance of `kind` (one function per type,
    so FastAPI caches it once per request). It is a coroutine function: FastAPI runs a plain
    function dependency in its thread pool, a thread hand-off on every request."""
    if kind not in _DEPENDENCIES:

        async def dependency(request: Request) -> Any:
            try:
                return request.app.state.wired[kind]
            except (AttributeError, KeyError):
                raise RuntimeError(f"{kind.__name__} is not wired into this app") from None

        dependency.__name__ = f"wired_{kind.__name__}"
        _DEPENDENCIES[kind] = dependency
    return cast(Callable[[Request], Awaitable[Wired]], _DEPENDENCIES[kind])
