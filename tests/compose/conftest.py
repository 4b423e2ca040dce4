"""The platform in containers: `docker compose up --build --wait` of docker-compose.yml (with the
stand-in images of deploy/docker/compose.stand-ins.yml where Docker Hub cannot be reached), and
every check through the ports it publishes on this machine, as a user of the stack would.

`make compose-test` starts a Docker engine where none answers, builds the stand-ins and runs
these with COMPOSE_TEST=1; elsewhere they are skipped. Fresh secrets go into a temporary env
file; the project is `sdp-compose-test`, its volumes removed at the end."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from deploy.local.stack import REPO
from deploy.secrets import fresh_secrets

PROJECT = "sdp-compose-test"
STAND_INS = REPO / "deploy/docker/compose.stand-ins.yml"


@dataclass
class Compose:
    """`docker compose` on the test's project; ports as published in docker-compose.yml."""

    command: list[str]
    secrets: dict[str, str]

    def __call__(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run(
            [*self.command, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout
        )
        assert done.returncode == 0, f"compose {' '.join(args)}: {done.stderr[-3000:]}"
        return done.stdout

    def up(self) -> None:
        self("up", "--detach", "--build", "--wait", "--wait-timeout", "300")

    @property
    def staff(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets['STAFF_TOKEN']}"}


@pytest.fixture(scope="session")
def compose(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compose]:
    if os.environ.get("COMPOSE_TEST") != "1":
        pytest.skip("the containers run under `make compose-test` (COMPOSE_TEST=1)")
    secrets = fresh_secrets()
    env_file = tmp_path_factory.mktemp("compose") / "env"
    env_file.write_text("".join(f"{name}={value}\n" for name, value in secrets.items()))
    files = ["-f", "docker-compose.yml"]
    if os.environ.get("COMPOSE_STAND_INS", "1") == "1":
        files += ["-f", str(STAND_INS)]
    command = [
        *shlex.split(os.environ.get("DOCKER_COMPOSE", "docker compose")),
        "--project-name",
        PROJECT,
        "--env-file",
        str(env_file),
        *files,
    ]
    stack = Compose(command, secrets)
    stack.up()
    try:
        yield stack
    finally:
        logs = Path(os.environ.get("COMPOSE_LOGS", REPO / ".compose-test.log"))
        logs.write_text(stack("logs", "--no-color", "--timestamps", timeout=120))
        stack("down", "--volumes", "--timeout", "20")
