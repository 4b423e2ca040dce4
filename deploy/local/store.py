"""The MongoDB-protocol store on this machine: SecantusDB's Rust server where `make secantus`
built it, else its Python server, a child process keeping its data in a folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from deploy.local.ports import port_open
from deploy.local.stack import InfrastructureError, LocalProcess

OPLOG_MAX_ENTRIES = 50_000_000
OPLOG_RETENTION_SECONDS = 24 * 3600


SECANTUS_MDB_VERSION = "0.5.3-beta.196"
SECANTUS_RS = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "support-data-platform"
    / f"secantus-mdb-{SECANTUS_MDB_VERSION}"
    / "bin"
    / "secantusd-rs"
)
"""SecantusDB's Rust server, built by `make secantus` from crates.io into the user's cache (like
Go's build cache: a new clone on the same machine reuses it)."""


def store_command() -> list[str]:
    """The MongoDB-protocol store to run: SecantusDB's Rust server where it was built (3-16x
    faster), else its Python server (PyPI `secantusdb`). `SECANTUS_SERVER=python` picks the
    Python one; `SECANTUS_SERVER=/path/to/secantusd-rs` another build."""
    chosen = os.environ.get("SECANTUS_SERVER", "")
    if chosen == "python":
        return [sys.executable, "-m", "secantus"]
    binary = Path(chosen) if chosen else SECANTUS_RS
    if binary.is_file() and os.access(binary, os.X_OK):
        return [str(binary)]
    if chosen:
        raise InfrastructureError(f"SECANTUS_SERVER={chosen}: no such executable")
    return [sys.executable, "-m", "secantus"]


class LocalMongo(LocalProcess):
    """SecantusDB: the MongoDB wire protocol over WiredTiger, advertising a one-node replica set
    (its Rust server where built, else its Python server: `store_command`)."""

    def __init__(self, data_dir: Path, *, port: int):
        super().__init__(name="secantusdb", log_path=data_dir.parent / "secantusdb.log")
        self.data_dir = data_dir
        self.port = port
        self.command = store_command()

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, *, timeout: float = 60.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.launch(
            [
                *self.command,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                str(self.data_dir),
                "--log-level",
                "WARNING",
                "--cache-size",
                "256M",
                # over its default cap (100,000) every commit trims the oplog under the store's
                # lock; nothing here reads it, so keep a day of it, uncapped in practice
                "--oplog-max-entries",
                str(OPLOG_MAX_ENTRIES),
                "--oplog-retention-seconds",
                str(OPLOG_RETENTION_SECONDS),
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.wait_for(lambda: port_open(self.port), timeout=timeout)
