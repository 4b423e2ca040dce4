"""The CLI's contract checks, pure logic: envelope or data in, validated CloudEvent out; plain
contact details sealed with the contact's key; problems named by field and rule, never value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.contracts import PUBLISHABLE, prepare
from ops.output import ExitCode, OpsError
from shared.crypto import InMemoryKeyStore, SealedPersonalData, seal, unseal
from shared.events.crm import ContactUpserted, ContractSigned
from shared.events.intake import ContactDetails

CONTRACTS = Path(__file__).parents[2] / "docs" / "contracts"


def example(event_type: str) -> dict[str, Any]:
    return dict(json.loads((CONTRACTS / f"{event_type}.example.json").read_text()))


def sealer(keys: InMemoryKeyStore) -> Any:
    async def sealing(details: ContactDetails, contact_id: str) -> SealedPersonalData:
        return await seal(details, data_subject_id=contact_id, keys=keys)

    return sealing


@pytest.mark.parametrize("event_type", sorted(PUBLISHABLE))
async def test_every_documented_example_passes_as_an_envelope_and_as_data(event_type: str) -> None:
    document = example(event_type)
    topic, event = await prepare(document, event_type=None, source="/cli", seal=None)
    assert topic == PUBLISHABLE[event_type].topic
    assert str(event.id) == document["id"] and event.subject == document["subject"]

    topic, built = await prepare(document["data"], event_type=event_type, source="/cli", seal=None)
    assert built.type == event_type and built.source == "/cli"
    assert built.subject == document["subject"]
    assert built.data == event.data


async def test_plain_details_are_sealed_with_each_contacts_own_key() -> None:
    keys = InMemoryKeyStore()
    data = example("crm.contract.signed.v1")["data"]
    data["contacts"] = [
        {"contact_id": "c-1", "details": {"full_name": "Ada Plain", "email": "ada@example.org"}},
        {"contact_id": "c-2", "details": {"full_name": "Bo Plain", "email": "bo@example.org"}},
    ]
    data["official_contact_id"] = "c-1"
    _, event = await prepare(
        data, event_type="crm.contract.signed.v1", source="/cli", seal=sealer(keys)
    )
    assert "Ada Plain" not in event.model_dump_json()
    signed = ContractSigned.from_event(event)
    opened = await unseal(signed.contacts[1].details, ContactDetails, keys=keys)
    assert opened == ContactDetails(full_name="Bo Plain", email="bo@example.org")
    assert set(keys.keys) == {"c-1", "c-2"}


async def test_plain_details_without_seal_go_to_the_ingress_topic_as_an_outside_crm_sends_them() -> (
    None
):
    """No key store, no secret: crm.ingress, where access seals and republishes them."""
    data = example("crm.contact.upserted.v1")["data"]
    data["details"] = {"full_name": "Ada Plain", "email": "ada@example.org"}
    topic, event = await prepare(
        data, event_type=ContactUpserted.event_type, source="/cli", seal=None
    )
    assert topic == "crm.ingress"
    assert event.type == "crm.ingress.contact_upserted.v1"
    assert event.data["details"]["email"] == "ada@example.org"


async def test_problems_name_field_and_rule_and_never_the_value() -> None:
    data = example("crm.contact.upserted.v1")["data"]
    data["details"] = {"full_name": "Very Secret", "email": "Very Secret at nowhere"}
    data["upserted_at"] = "2026-03-02T09:00:00"
    with pytest.raises(OpsError) as bad_details:
        await prepare(
            data,
            event_type=ContactUpserted.event_type,
            source="/cli",
            seal=sealer(InMemoryKeyStore()),
        )
    assert bad_details.value.details == ("data.details.email: value_error",)

    data["details"] = {"full_name": "Very Secret", "email": "ok@example.org"}
    with pytest.raises(OpsError) as bad_time:
        await prepare(
            data,
            event_type=ContactUpserted.event_type,
            source="/cli",
            seal=sealer(InMemoryKeyStore()),
        )
    assert bad_time.value.details == ("data.upserted_at: timezone_aware",)
    shown = repr(bad_details.value.details) + repr(bad_time.value.details)
    assert "Very Secret" not in shown + bad_details.value.message + bad_time.value.message


@pytest.mark.parametrize(
    ("document", "event_type", "message"),
    [
        ([], None, "input: each event must be a JSON object"),
        ({"organisation_id": "o"}, None, "type: missing"),
        ({}, "crm.contract.bought.v1", "type: not a contract"),
        ({"specversion": "1.0", "type": "legal.hold.released.v1", "data": []}, None, "data: must"),
    ],
)
async def test_unusable_input_is_refused_before_anything_is_sent(
    document: object, event_type: str | None, message: str
) -> None:
    with pytest.raises(OpsError) as refused:
        await prepare(document, event_type=event_type, source="/cli", seal=None)
    assert refused.value.message.startswith(message)
    assert refused.value.code == ExitCode.INVALID_INPUT


async def test_a_bad_envelope_names_its_fields() -> None:
    document = example("legal.hold.released.v1")
    document["type"] = "legal.hold.released.v1"
    document["time"] = "yesterday"
    document["source"] = ""
    with pytest.raises(OpsError) as refused:
        await prepare(document, event_type=None, source="/cli", seal=None)
    assert set(refused.value.details) == {
        "source: string_too_short",
        "time: datetime_from_date_parsing",
    }
