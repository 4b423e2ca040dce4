"""The four services as child processes (`python -m services.<name>`), for `make run` and e2e tests."""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

from deploy.local.stack import REPO, LocalProcess
from services.catalogue import CATALOGUE

SERVICES = tuple(CATALOGUE)
DEFAULT_PORTS = {name: service.port for name, service in CATALOGUE.items()}
PORTAL_PORT = 8000
"""The pages (services/portal): where the mails' links point (every service's public base URL)."""


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback only)
            return bool(response.status == 200)
    except OSError:
        return False


class ServiceProcess(LocalProcess):
    """One service, configured only through its environment."""

    def __init__(
        self,
        name: str,
        *,
        port: int,
        env: dict[str, str],
        log_dir: Path,
        module: str | None = None,
        replica: int = 1,
    ) -> None:
        label = name if replica == 1 else f"{name}-{replica}"
        super().__init__(name=label, log_path=log_dir / f"{label}.log")
        self.service = name
        self.port = port
        self.env = env
        self.module = module or f"services.{name}"
        """What `python -m` runs: the service, or a wrapper of it (the crash tests' is one)."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 60.0, wait_ready: bool = True) -> None:
        environment = {
            **os.environ,
            **self.env,
            f"{self.service.upper()}_HTTP_PORT": str(self.port),
            "PYTHONPATH": str(REPO),
            "PYTHONUNBUFFERED": "1",
        }
        self.launch([sys.executable, "-m", self.module], env=environment)
        path = "/readyz" if wait_ready else "/healthz"
        self.wait_for(lambda: _answers(self.url + path), timeout=timeout)


def service_environment(*, kafka_bootstrap: str, mongodb_url: str, **extra: str) -> dict[str, str]:
    """The environment every service of the local stack (make run, the tests, the bench) needs:
    the infrastructure, and leave to run with the development secrets."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MONGODB_URL": mongodb_url,
        "ALLOW_DEVELOPMENT_SECRETS": "true",
        **extra,
    }
