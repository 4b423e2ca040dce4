"""One locked environment: uv.lock pins everything, .venv is it, the images install its runtime part."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

from deploy.local.services import SERVICES
from tests.deploy.dockerfiles import REPO, runtime_distributions

UV_LOCK = REPO / "uv.lock"
REQUIREMENTS = REPO / "requirements.lock"
UV = REPO / ".cache" / "uv" / "bin" / "uv"
ENTRY = re.compile(r"^([A-Za-z0-9][\w.-]*)==(\S+)( ;[^\\]*)? \\$")
EXPORT = ["export", "--frozen", "--no-dev", "--no-emit-project", "--format", "requirements-txt"]


def uv(*arguments: str, project: Path = REPO) -> subprocess.CompletedProcess[str]:
    if not UV.exists():
        pytest.fail(f"{UV} is missing: `make install` bootstraps it from deploy/uv-bootstrap.txt")
    environment = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "UV_NO_PROGRESS": "1"}
    return subprocess.run(
        [str(UV), *arguments, "--offline", "--project", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )


def locked_packages() -> dict[str, list[str]]:
    """name -> every version uv.lock pins for it (one per Python-version fork, usually one)."""
    found: dict[str, list[str]] = {}
    for package in tomllib.loads(UV_LOCK.read_text())["package"]:
        if "version" in package:
            found.setdefault(canonicalize_name(package["name"]), []).append(package["version"])
    return found


def requirements() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from requirements.lock's `name==version [; marker] \\` blocks.

    Only the blocks whose marker holds on this interpreter (numpy is pinned once per Python range).
    """
    found: dict[str, tuple[str, list[str]]] = {}
    hashes: list[str] = []
    for line in REQUIREMENTS.read_text().splitlines():
        if match := ENTRY.match(line):
            hashes = []
            if match[3] is None or Marker(match[3].lstrip(" ;")).evaluate():
                found[canonicalize_name(match[1])] = (match[2], hashes)
        elif line.strip().startswith("--hash=sha256:"):
            hashes.append(line.strip().split(":", 1)[1].rstrip(" \\"))
    return found


def test_uv_lock_agrees_with_pyproject() -> None:
    """`uv lock --check` fails when a pin in pyproject.toml changed without `make lock`."""
    check = uv("lock", "--check")
    assert check.returncode == 0, f"run `make lock`:\n{check.stderr[-2000:]}"


def test_a_pin_changed_without_make_lock_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a copy of the project passes it until one pin moves."""
    pyproject = (REPO / "pyproject.toml").read_text()
    (tmp_path / "uv.lock").write_text(UV_LOCK.read_text())
    (tmp_path / "pyproject.toml").write_text(pyproject)
    assert uv("lock", "--check", project=tmp_path).returncode == 0
    moved = pyproject.replace('"pyjwt==2.15.1"', '"pyjwt==2.15.0"')
    assert moved != pyproject, "the pin this test moves is no longer in pyproject.toml"
    (tmp_path / "pyproject.toml").write_text(moved)
    assert uv("lock", "--check", project=tmp_path).returncode != 0


def test_the_venv_is_the_lock_exactly() -> None:
    """Every distribution installed in .venv is the version uv.lock pins (dev tools included)."""
    locked = locked_packages()
    installed = {
        canonicalize_name(distribution.metadata["Name"]): distribution.version
        for distribution in metadata.distributions()
    }
    project = canonicalize_name(
        tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["name"]
    )
    drift = {
        name: (version, locked.get(name))
        for name, version in installed.items()
        if name != project and version not in locked.get(name, [])
    }
    assert drift == {}, "installed (version, locked): run `make install`"
    assert {"pytest", "ruff", "mypy", "faststream"} <= set(installed)


def test_the_images_install_the_runtime_part_of_the_same_lock() -> None:
    """requirements.lock is `uv export` of uv.lock: same pins, every one hashed, nothing extra."""
    export = uv(*EXPORT)
    assert export.returncode == 0, export.stderr[-2000:]
    body = [line for line in export.stdout.splitlines() if not line.startswith("#")]
    ours = [line for line in REQUIREMENTS.read_text().splitlines() if not line.startswith("#")]
    assert ours == body, "requirements.lock is not uv.lock's runtime part: run `make lock`"
    pinned = requirements()
    for name, (_, hashes) in pinned.items():
        assert hashes and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in hashes), name
    text = REQUIREMENTS.read_text()
    assert "--index-url" not in text and "--find-links" not in text and " -e " not in text
    runtime = runtime_distributions()  # the runtime closure, as installed in this venv
    assert runtime <= set(pinned), f"unlocked: {sorted(runtime - set(pinned))}"
    for name in runtime:
        assert metadata.version(name) == pinned[name][0], f"{name}: venv and images differ"
    dev_only = {"pytest", "ruff", "mypy", "typer", "schemathesis"}
    assert not dev_only & set(pinned), "dev tools or the ops extra leaked into the images"


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


def newer_release(directory: Path, name: str, version: str) -> Path:
    """A wheel of `name` at `version`, as an index would offer a release newer than the lock's."""
    import zipfile

    info = f"{name}-{version}.dist-info"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        archive.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        archive.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        archive.writestr(f"{info}/RECORD", "")
    return wheel


def test_a_newer_release_upstream_changes_nothing_installed(tmp_path: Path) -> None:
    """The day an index offers a newer idna (unpinned in pyproject, pulled in by anyio),
    `make install` still installs the lock's: uv sync --frozen resolves nothing."""
    offered = tmp_path / "index"
    offered.mkdir()
    newer_release(offered, "idna", "2099.1.1")
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        (project / name).write_text((REPO / name).read_text())
    environment = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
        "UV_FIND_LINKS": str(offered),
        "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"),
    }
    synced = subprocess.run(
        [str(UV), "sync", "--frozen", "--offline", "--no-install-project", "--no-dev"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    assert synced.returncode == 0, synced.stderr[-2000:]
    installed = subprocess.run(
        [str(UV), "pip", "list", "--python", str(tmp_path / "venv"), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=environment,
    )
    versions = {p["name"]: p["version"] for p in json.loads(installed.stdout)}
    assert versions["idna"] == locked_packages()["idna"][0] != "2099.1.1"
    # the control: a resolver (what `pip install -e .` did) takes the newer release
    resolved = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--dry-run",
            "--upgrade",
            "--python",
            str(tmp_path / "venv"),
            "idna",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**environment, "UV_OFFLINE": "1"},
    )
    assert "2099.1.1" in resolved.stdout + resolved.stderr, resolved.stderr[-1000:]
