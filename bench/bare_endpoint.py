"""A bare baseline endpoint served by uvicorn as its own process, as the services are."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from deploy.local.ports import free_port, port_open
from deploy.local.stack import LocalProcess


class BareEndpoint(LocalProcess):
    """`app` (a `module:factory` path) under uvicorn on a free port, with `env` added to this
    process's environment; no access log, as the services have none."""

    def __init__(self, name: str, *, app: str, env: dict[str, str], log_dir: Path) -> None:
        super().__init__(name=name, log_path=log_dir / f"{name.replace(' ', '-')}.log")
        self.port = free_port()
        self.app = app
        self.env = env

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0) -> None:
        uvicorn = [sys.executable, "-m", "uvicorn", "--factory", self.app]
        options = ["--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        self.launch([*uvicorn, *options], env={**os.environ, **self.env})
        self.wait_for(lambda: port_open(self.port), timeout=timeout)
