"""requirements.lock: pyproject's runtime pins, resolved and hashed; the four images agree."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from deploy.local.services import SERVICES
from tests.deploy.dockerfiles import REPO, runtime_distributions

LOCK = REPO / "requirements.lock"
ENTRY = re.compile(r"^([A-Za-z0-9][\w.-]*)==(\S+) \\$")


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes), from the lock file's `name==version \\` blocks."""
    found: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in LOCK.read_text().splitlines():
        if match := ENTRY.match(line):
            current = canonicalize_name(match[1])
            found[current] = (match[2], [])
        elif line.strip().startswith("--hash=sha256:"):
            found[current][1].append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return found


def test_the_lock_pins_pyproject_s_runtime_dependencies_exactly() -> None:
    lock = locked()
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    for text in dependencies:
        requirement = Requirement(text)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{text}: pin it exactly"
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} is not in requirements.lock: run `make lock`"
        assert lock[name][0] == specifier.version, f"{name}: run `make lock`"


def test_every_locked_distribution_is_hashed_and_nothing_is_left_out() -> None:
    lock = locked()
    for name, (_, hashes) in lock.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name
    text = LOCK.read_text()
    assert "--index-url" not in text and "--find-links" not in text and " -e " not in text
    runtime = runtime_distributions()  # the closure installed in this venv
    assert runtime <= set(lock), f"unlocked: {sorted(runtime - set(lock))}"
    for name in runtime:
        assert metadata.version(name) == lock[name][0], f"{name}: venv and images differ"


def test_the_four_dockerfiles_share_one_body() -> None:
    """Only the header ARGs and the closing ENV/EXPOSE/CMD may differ between services."""

    def body(name: str) -> str:
        text = (REPO / "services" / name / "Dockerfile").read_text()
        start = text.index("FROM ${PYTHON_IMAGE} AS builder")
        return text[start : text.index("\nENV ", text.index("HEALTHCHECK"))]

    bodies = {name: body(name) for name in SERVICES}
    assert len(set(bodies.values())) == 1, "the Dockerfiles' shared bodies drifted apart"
    for name in SERVICES:
        header = (REPO / "services" / name / "Dockerfile").read_text().split("FROM", 1)[0]
        assert f"ARG SERVICE={name}\n" in header
