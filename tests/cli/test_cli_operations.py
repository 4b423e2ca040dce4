"""Operators' day: an erasure followed to its certificate, an export to ready, dead letters
listed and replayed, and the stack's health, including a service that is down."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import uuid4

from aiokafka import AIOKafkaProducer

from deploy.local.ports import free_port
from shared import topics
from tests.cli.harness import Cli, Stack, until
from tests.support.kafka import read_topic

PARTICIPANTS = {"intake", "access", "retention", "surveys"}


def test_an_erasure_is_followed_to_its_deletion_certificate(cli: Cli) -> None:
    person = f"person-{uuid4().hex[:8]}"
    result = cli("erasure", "request", person, "--wait", "--timeout", "120", "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["erased"] is True and answer["kept"] == []
    certificate = answer["certificate"]
    assert certificate["erasure_id"] == answer["erasure_id"]
    assert certificate["scope"] == {"kind": "person", "id": person}
    assert set(certificate["participants"]) == PARTICIPANTS

    status = cli.json("erasure", "status", answer["erasure_id"])
    assert status["state"] == "certified" and status["missing"] == []
    human = cli("erasure", "certificate", answer["erasure_id"])
    assert human.exit_code == 0 and "deletion certificate" in human.stdout
    missing = cli("erasure", "status", str(uuid4()))
    assert missing.exit_code == 6

    followed = cli("erasure", "request", f"person-{uuid4().hex[:8]}", "--wait", "--timeout", "120")
    assert followed.exit_code == 0, followed.stderr
    assert "certified" in followed.stderr and "4/4" in followed.stderr  # the progress bar
    assert "deletion certificate" in followed.stdout and "surveys" in followed.stdout


def test_a_person_under_a_legal_hold_is_not_erased_and_the_exit_code_says_so(cli: Cli) -> None:
    person = f"person-{uuid4().hex[:8]}"
    cli.json(
        "publish", "hold-placed", "--hold-id", f"hold-{uuid4().hex[:8]}", "--scope-kind", "person",
        "--scope-id", person, "--reason", "legal_obligation", "--case-reference", "CASE-CLI-2",
    )  # fmt: skip

    def refused() -> dict[str, object] | None:
        result = cli("erasure", "request", person, "--json")
        return json.loads(result.stdout) if result.exit_code == 1 else None

    answer = until(refused)
    assert answer["erased"] is False
    assert answer["kept"] == [{"kind": "person", "id": person, "ground": "legal_hold"}]


def test_an_export_is_followed_until_every_service_answered(cli: Cli) -> None:
    person = f"person-{uuid4().hex[:8]}"
    result = cli("export", "request", person, "--wait", "--timeout", "90", "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "ready"
    assert set(answer["answered"]) == PARTICIPANTS and answer["missing"] == []
    assert set(answer) == {"export_id", "status", "answered", "missing"}
    linked = cli.json("export", "link", answer["export_id"])
    assert linked["download_url"].startswith(cli.stack.env["RETENTION_URL"] + "/privacy/downloads/")


async def _publish_poison(bootstrap: str, key: str) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        event = {
            "specversion": "1.0", "id": str(uuid4()), "source": "/legal", "subject": key,
            "type": "legal.hold.placed.v1", "time": "2026-03-01T09:00:00Z",
            "data": {"hold_id": key, "reason": "because"},
        }  # fmt: skip
        sent = await producer.send_and_wait(
            topics.LEGAL_HOLDS, json.dumps(event).encode(), key=key.encode()
        )
        return sent.partition, sent.offset
    finally:
        await producer.stop()


def _at(letters: list[dict[str, Any]], partition: int, offset: int) -> list[dict[str, Any]]:
    """The dead letters of the record at this position of legal.holds."""
    return [
        letter
        for letter in letters
        if letter["headers"].get("dlq-original-partition") == str(partition)
        and letter["headers"].get("dlq-original-offset") == str(offset)
    ]


def _copies(stack: Stack, key: str) -> list[Any]:
    records = asyncio.run(read_topic(stack.kafka_bootstrap, topics.LEGAL_HOLDS))
    return [r for r in records if r.key == key.encode()]


def test_a_dead_letter_is_listed_without_its_value_and_replayed_once(
    cli: Cli, stack: Stack
) -> None:
    key = f"hold-poison-{uuid4().hex[:8]}"
    partition, offset = asyncio.run(_publish_poison(stack.kafka_bootstrap, key))

    [letter] = until(lambda: _at(cli.json("dlq", "list", "legal.holds"), partition, offset))
    assert letter["topic"] == "legal.holds.dlq"
    assert letter["headers"]["dlq-consumer"] == "retention"
    reason = letter["headers"]["dlq-reason"]
    assert "scope: missing" in reason and "reason: literal_error" in reason
    assert "because" not in reason
    human = cli("dlq", "list")  # every topic that has dead letters
    assert human.exit_code == 0 and "legal.holds.dlq" in human.stdout

    replay = cli("dlq", "replay", "legal.holds", "--json")
    assert replay.exit_code == 0, replay.stderr
    assert json.loads(replay.stdout)["replayed"]["legal.holds"] >= 1
    original, copy = _copies(stack, key)
    assert copy.value == original.value
    assert dict(copy.headers)["dlq-replayed-from"] == (
        f"{letter['partition']}:{letter['offset']}".encode()
    )

    # The copy is still poison, so it is dead-lettered again; a second replay replays only it.
    [again] = until(
        lambda: _at(cli.json("dlq", "list", "legal.holds"), copy.partition, copy.offset)
    )
    shown = cli("dlq", "replay", "legal.holds")
    assert shown.exit_code == 0, shown.stderr
    assert "dead letter(s) replayed" in shown.stdout
    assert "replay legal.holds.dlq" in shown.stderr  # the progress bar, on stderr
    copies = _copies(stack, key)
    assert len(copies) == 3
    assert dict(copies[2].headers)["dlq-replayed-from"] == (
        f"{again['partition']}:{again['offset']}".encode()
    )


def test_health_reports_every_component_ready(cli: Cli) -> None:
    report = cli.json("health")
    assert report["healthy"] is True
    assert {c["component"] for c in report["checks"]} == PARTICIPANTS | {"kafka", "mongodb"}
    assert all(c["alive"] and c["ready"] for c in report["checks"])


def test_health_fails_with_exit_1_when_a_service_is_down(stack: Stack) -> None:
    script = Path(sys.executable).with_name("support-ops")
    down = f"http://127.0.0.1:{free_port()}"
    result = subprocess.run(
        [str(script), "--surveys-url", down, "health", "--json"],
        env={**stack.env, "PATH": str(script.parent)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    checks = {c["component"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["surveys"]["ready"] is False and checks["surveys"]["alive"] is False
    assert checks["retention"]["ready"] is True and checks["kafka"]["ready"] is True
