"""Tests pick their infrastructure: the environment first, then containers when asked for, else
local processes (also where a Docker engine answers)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import infrastructure


def test_infrastructure_named_in_the_environment_is_used_as_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEST_KAFKA_BOOTSTRAP_SERVERS", "kafka.example:9092")
    monkeypatch.setenv("TEST_MONGODB_URL", "mongodb://mongo.example:27017")
    with infrastructure.provide_infrastructure(tmp_path) as chosen:
        assert (chosen.origin, chosen.kafka_bootstrap, chosen.mongodb_url) == (
            "environment",
            "kafka.example:9092",
            "mongodb://mongo.example:27017",
        )
    assert list(tmp_path.iterdir()) == [], "nothing was started"


def test_local_processes_are_chosen_even_where_docker_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TEST_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("TEST_INFRASTRUCTURE", raising=False)
    monkeypatch.setattr(infrastructure, "_docker_answers", lambda: True)
    chosen_path: list[Path] = []

    class Chosen(Exception):
        pass

    def fake_local(base: Path) -> object:
        chosen_path.append(base)
        raise Chosen

    monkeypatch.setattr(infrastructure, "_local", fake_local)
    with pytest.raises(Chosen), infrastructure.provide_infrastructure(tmp_path):
        pass
    assert chosen_path == [tmp_path]


def test_the_store_is_the_rust_server_where_built_else_the_python_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from deploy.local import store

    built = tmp_path / "secantusd-rs"
    monkeypatch.delenv("SECANTUS_SERVER", raising=False)
    monkeypatch.setattr(store, "SECANTUS_RS", built)
    assert store.store_command()[1:] == ["-m", "secantus"]  # not built: the Python server
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    assert store.store_command() == [str(built)]
    monkeypatch.setenv("SECANTUS_SERVER", "python")
    assert store.store_command()[1:] == ["-m", "secantus"]
    monkeypatch.setenv("SECANTUS_SERVER", str(tmp_path / "missing"))
    with pytest.raises(store.InfrastructureError, match="SECANTUS_SERVER"):
        store.store_command()


def test_containers_are_chosen_when_asked_for_and_refused_without_an_engine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TEST_KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("TEST_INFRASTRUCTURE", "containers")
    monkeypatch.setattr(infrastructure, "_docker_answers", lambda: False)
    with (
        pytest.raises(RuntimeError, match="no Docker engine"),
        infrastructure.provide_infrastructure(tmp_path),
    ):
        pass
    assert list(tmp_path.iterdir()) == [], "nothing local was started instead"
