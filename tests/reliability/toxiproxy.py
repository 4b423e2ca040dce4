"""Toxiproxy (built by `make toxiproxy` into .cache/tools) as a child process, driven over HTTP."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx

from deploy.local.ports import port_open
from deploy.local.stack import REPO, InfrastructureError, LocalProcess

SERVER = REPO / ".cache" / "tools" / "toxiproxy" / "server"


class Toxiproxy(LocalProcess):
    """A TCP fault proxy: named proxies forward a listen port to an upstream; toxics slow or cut."""

    def __init__(self, log_dir: Path, *, port: int) -> None:
        super().__init__(name="toxiproxy", log_path=log_dir / "toxiproxy.log")
        self.port = port
        self.api = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def start(self, *, timeout: float = 30.0) -> None:
        if not SERVER.exists():
            raise InfrastructureError(f"{SERVER} is missing: run `make toxiproxy`")
        self.launch(
            [str(SERVER), "-host", "127.0.0.1", "-port", str(self.port)],
            env={**os.environ, "LOG_LEVEL": "warn"},
        )
        self.wait_for(lambda: port_open(self.port), timeout=timeout)

    def stop(self, *, timeout: float = 20.0) -> None:
        self.api.close()
        super().stop(timeout=timeout)

    def proxy(self, name: str, *, listen: int, upstream: int) -> None:
        """Forward 127.0.0.1:listen to 127.0.0.1:upstream."""
        self._ok(
            self.api.post(
                "/proxies",
                json={
                    "name": name,
                    "listen": f"127.0.0.1:{listen}",
                    "upstream": f"127.0.0.1:{upstream}",
                    "enabled": True,
                },
            )
        )

    def enable(self, name: str, *, enabled: bool) -> None:
        """Disabled: every open connection is closed and new ones are refused (a cut cable)."""
        self._ok(self.api.post(f"/proxies/{name}", json={"enabled": enabled}))

    def add_latency(self, name: str, *, toxic: str, milliseconds: int, jitter: int = 0) -> None:
        """Delay data in both directions."""
        for stream in ("upstream", "downstream"):
            self._add(
                name,
                {
                    "name": f"{toxic}_{stream}",
                    "type": "latency",
                    "stream": stream,
                    "attributes": {"latency": milliseconds, "jitter": jitter},
                },
            )

    def clear(self, name: str) -> None:
        """Remove every toxic of a proxy and enable it."""
        for toxic in self._ok(self.api.get(f"/proxies/{name}/toxics")):
            self._ok(self.api.delete(f"/proxies/{name}/toxics/{toxic['name']}"))
        self.enable(name, enabled=True)

    def _add(self, name: str, toxic: dict[str, Any]) -> None:
        self._ok(self.api.post(f"/proxies/{name}/toxics", json=toxic))

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        if response.status_code >= 300:
            raise InfrastructureError(f"toxiproxy answered {response.status_code}: {response.text}")
        return response.json() if response.content else None
