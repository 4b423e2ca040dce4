"""Ports on this machine for the local processes `make run`, the tests and the bench start."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path

_HANDED_OUT: set[int] = set()


def _ephemeral_ports() -> tuple[int, int]:
    """The range the kernel draws the source ports of outgoing connections from."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port() -> int:
    """A port nothing listens on, for a process about to be started.

    It is drawn below the kernel's ephemeral range: a port the kernel itself hands out (to
    `bind(0)` or as an outgoing connection's source port) could be taken by any client
    between this call and the moment the process binds it, which once failed a fault run
    ("address already in use") while Kafka and the store were starting.
    """
    low, high = _ephemeral_ports()
    bottom, top = (10_000, low - 1) if low > 10_000 else (high + 1, 65535)
    for _ in range(200 if bottom < top else 0):
        port = bottom + secrets.randbelow(top - bottom + 1)
        if port in _HANDED_OUT:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as probe:  # no room outside the ephemeral range: let the kernel pick
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
