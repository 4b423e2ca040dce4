"""The policy specifications' system: the four services in memory, and, for a specification
marked `both_layers`, also as real processes on real Kafka and storage (the same test, chosen
by the `system` fixture's parameter; `make unit` deselects the real one with `-m "not real"`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.memory import MemorySystem
from tests.support.real_system import RealSystem

NOW_KEY = "policy_now"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "system" not in metafunc.fixturenames:
        return
    layers: list[Any] = ["memory"]
    if metafunc.definition.get_closest_marker("both_layers"):
        layers.append(pytest.param("real", marks=pytest.mark.real))
    metafunc.parametrize("system", layers, indirect=True)


@pytest.fixture
async def system(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[MemorySystem | RealSystem]:
    now = request.module.NOW
    if request.param == "memory":
        async with MemorySystem(now=now).running() as memory:
            yield memory
        return
    infrastructure = request.getfixturevalue("infrastructure")
    prefix = request.getfixturevalue("instance_prefix")
    async with RealSystem(infrastructure, prefix=prefix, log_dir=tmp_path).running() as real:
        yield real
