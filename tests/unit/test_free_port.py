"""Ports for the processes a test or the bench starts come from outside the kernel's ephemeral
range, so no outgoing connection can take one before its process binds it."""

from __future__ import annotations

import socket

import pytest

from deploy.local import ports as local_ports


def test_ports_are_drawn_below_the_ephemeral_range_and_never_twice() -> None:
    low, _ = local_ports._ephemeral_ports()
    ports = [local_ports.free_port() for _ in range(50)]
    assert all(port < low for port in ports)
    assert len(set(ports)) == len(ports)


def test_a_port_something_listens_on_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken, socket.socket() as other:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        other.bind(("127.0.0.1", 0))  # two distinct ports; the second is released below
        wanted = other.getsockname()[1]
        other.close()
        draws = iter([taken.getsockname()[1], wanted])
        monkeypatch.setattr(local_ports.secrets, "randbelow", lambda _n: next(draws) - 10_000)
        monkeypatch.setattr(local_ports, "_ephemeral_ports", lambda: (65_000, 65_535))
        assert local_ports.free_port() == wanted
