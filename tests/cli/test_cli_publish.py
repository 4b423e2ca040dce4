"""Integrators try the CRM and legal-hold contracts by hand: the CLI validates, seals and
publishes, and retention acts on what it published."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from shared import topics
from shared.events import parse_event
from shared.events.crm import ContactUpserted
from tests.cli.harness import Cli, Stack, until
from tests.support.kafka import read_topic


def test_a_contract_terminated_from_flags_starts_the_organisations_clock(cli: Cli) -> None:
    organisation = f"org-{uuid4().hex[:8]}"
    ended = date.today()
    published = cli.json(
        "publish", "contract-terminated", "--organisation", organisation,
        "--termination-date", ended.isoformat(),
    )  # fmt: skip
    assert published["published"] is True
    assert published["events"][0]["type"] == "crm.contract.terminated.v1"
    assert published["events"][0]["topic"] == "crm.contracts"
    assert published["events"][0]["key"] == organisation

    def clock() -> dict[str, object] | None:
        result = cli("retention", "organisation", organisation, "--json")
        return json.loads(result.stdout) if result.exit_code == 0 else None

    found = until(clock)
    assert found["contract_state"] == "terminated"
    due = datetime.fromisoformat(str(found["purge_due_at"]))
    assert due.date() == ended + timedelta(days=365)

    status = cli.json("status", "--limit", "500")
    assert {"kind": "organisation", "id": organisation, "held": False} in [
        {k: v for k, v in item.items() if k != "purge_due_at"} for item in status["next_due"]
    ]
    assert status["overdue"] == 0


def test_a_legal_hold_published_from_flags_shows_in_status_until_released(cli: Cli) -> None:
    hold_id, organisation = f"hold-{uuid4().hex[:8]}", f"org-{uuid4().hex[:8]}"
    cli.json(
        "publish", "contract-terminated", "--organisation", organisation,
        "--termination-date", date.today().isoformat(),
    )  # fmt: skip
    cli.json(
        "publish", "hold-placed", "--hold-id", hold_id, "--scope-kind", "organisation",
        "--scope-id", organisation, "--reason", "contractual_dispute",
        "--case-reference", "CASE-CLI-1", "--placed-by", "legal-officer-7",
    )  # fmt: skip

    def held() -> dict[str, object] | None:
        status = cli.json("status", "--limit", "500")
        holds = [h["hold_id"] for h in status["legal_holds"]]
        ours = [i for i in status["next_due"] if i["id"] == organisation]
        return status if hold_id in holds and ours and ours[0]["held"] else None

    status = until(held)
    assert status["legal_holds_active"] >= 1
    human = cli("status")
    assert human.exit_code == 0
    assert hold_id in human.stdout and "active legal holds" in human.stdout

    cli.json("publish", "hold-released", "--hold-id", hold_id)

    def released() -> bool:
        return hold_id not in [h["hold_id"] for h in cli.json("retention", "holds")]

    until(released)
    every = {h["hold_id"]: h for h in cli.json("retention", "holds", "--all")}
    assert every[hold_id]["active"] is False
    assert every[hold_id]["released_by"] == "support-ops"


def test_plain_contact_details_are_sealed_before_they_leave_and_never_printed(
    cli: Cli, stack: Stack, tmp_path: Path
) -> None:
    contact, name = f"crm-contact-{uuid4().hex[:8]}", f"Nora Plaintext {uuid4().hex[:6]}"
    organisation = f"org-{uuid4().hex[:8]}"
    email = f"nora.{uuid4().hex[:6]}@example.org"
    document = {
        "organisation_id": organisation,
        "contact_id": contact,
        "upserted_at": datetime.now(UTC).isoformat(),
        "details": {"full_name": name, "email": email},
    }
    path = tmp_path / "upsert.json"
    path.write_text(json.dumps(document))

    # as an outside CRM: in clear, on crm.ingress; access seals and republishes it
    result = cli("publish", "file", str(path), "--type", "crm.contact.upserted.v1")
    assert result.exit_code == 0, result.stderr
    assert name not in result.output and email not in result.output
    assert "crm.ingress" in result.output

    def republished() -> list[Any] | None:
        records = asyncio.run(read_topic(stack.kafka_bootstrap, topics.CRM_CONTACTS))
        ours = [r for r in records if r.key == organisation.encode()]
        return ours or None

    ours = until(republished)
    assert len(ours) == 1
    assert name.encode() not in ours[0].value and email.encode() not in ours[0].value
    upserted = ContactUpserted.from_event(parse_event(ours[0].value))
    assert upserted.details.data_subject_id == contact

    sealed = cli("publish", "file", str(path), "--type", "crm.contact.upserted.v1", "--seal")
    assert sealed.exit_code == 0, sealed.stderr  # or sealed here, with the key store
    assert "crm.contacts" in sealed.output and name not in sealed.output

    values = f"{name}\n{email}\n"
    scan = cli(
        "scan",
        "--values-file",
        "-",
        "--topic",
        "crm.contacts",
        "--no-mongodb",
        "--json",
        stdin=values,
    )
    assert scan.exit_code == 0, scan.stderr
    report = json.loads(scan.stdout)
    assert report["found"] == 0 and report["records_scanned"] >= 1
    # the ingress topic holds the CRM's clear text until it expires: reported apart, and why
    ingress = cli.json(
        "scan", "--values-file", "-", "--topic", "crm.ingress", "--no-mongodb", stdin=values
    )
    assert ingress["found"] == 0
    assert {hit["topic"] for hit in ingress["ingress"]} == {"crm.ingress"}
    assert all("expires" in hit["why"] for hit in ingress["ingress"])

    # access keeps the login email it matches on (its own store, not Kafka): the scanner says
    # where, by value index, and never prints the value.
    access = f"{stack.instance_prefix}access"

    def in_access() -> dict[str, Any] | None:
        result = cli(
            "scan", "--values-file", "-", "--database", access, "--no-kafka", "--json", stdin=values
        )
        return json.loads(result.stdout) if result.exit_code == 1 else None

    found = until(in_access)
    assert {hit["value"] for hit in found["mongodb"]} >= {1}
    assert all(hit["collection"].startswith(f"{access}.") for hit in found["mongodb"])
    assert name not in json.dumps(found) and email not in json.dumps(found)


def test_the_scanner_reports_a_value_it_finds_by_index_and_exits_1(cli: Cli) -> None:
    case = f"CASE-{uuid4().hex[:10]}"
    cli.json(
        "publish", "hold-placed", "--hold-id", f"hold-{uuid4().hex[:8]}",
        "--scope-kind", "person", "--scope-id", "person-scan", "--reason", "legal_obligation",
        "--case-reference", case,
    )  # fmt: skip
    report = cli.json(
        "scan", "absent-value-x", case, "--topic", "legal.holds", "--no-mongodb", expect=1
    )
    assert report["found"] >= 1
    assert report["kafka"] == [{"topic": "legal.holds", "value": 1, "hits": 1}]
    human = cli("scan", case, "--topic", "legal.holds", "--no-mongodb")
    assert human.exit_code == 1
    assert case not in human.stdout and "legal.holds" in human.stdout


def test_invalid_events_name_field_and_rule_never_the_value_and_publish_nothing(
    cli: Cli, stack: Stack, tmp_path: Path
) -> None:
    contact = f"crm-contact-{uuid4().hex[:8]}"
    secret = f"Secret Person {uuid4().hex[:6]}"
    bad = {
        "specversion": "1.0", "id": str(uuid4()), "source": "/crm",
        "type": "crm.contact.upserted.v1", "subject": contact,
        "time": "2026-03-02T09:00:00Z", "datacontenttype": "application/json",
        "data": {
            "organisation_id": "org-1", "contact_id": contact, "upserted_at": "2026-03-02T09:00:00",
            "details": {"full_name": secret, "email": f"{secret} at nowhere"},
        },
    }  # fmt: skip
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([bad]))
    result = cli("publish", "file", str(path), "--seal")
    assert result.exit_code == 3
    assert "data.details.email: value_error" in result.stderr
    assert secret not in result.output and secret not in result.stderr

    bad["data"]["details"] = {"full_name": secret, "email": "fine@example.org"}  # type: ignore[index]
    path.write_text(json.dumps(bad))
    as_json = cli("publish", "file", str(path), "--seal", "--json")
    assert as_json.exit_code == 3
    error = json.loads(as_json.stderr)
    assert error["exit_code"] == 3
    assert error["details"] == ["data.upserted_at: timezone_aware"]

    unknown = cli("publish", "file", "-", "--type", "crm.contract.bought.v1", stdin="{}")
    assert unknown.exit_code == 3 and "type: not a contract" in unknown.stderr
    not_json = cli("publish", "file", "-", stdin="{nope")
    assert not_json.exit_code == 3 and "not JSON" in not_json.stderr

    records = asyncio.run(read_topic(stack.kafka_bootstrap, topics.CRM_CONTACTS))
    assert not [r for r in records if contact.encode() in r.value]
