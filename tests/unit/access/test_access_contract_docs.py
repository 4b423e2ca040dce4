"""The documented CRM and audit contracts are current, and their examples are valid events."""

from __future__ import annotations

import json

import pytest

from shared.events import EventSchemaError, data_model_for, parse_event
from shared.events.contract_docs import DOCS, rendered
from shared.events.contract_examples import examples
from shared.events.crm import CRM_EVENTS


def test_the_committed_documents_match_the_models() -> None:
    for name, content in rendered().items():
        path = DOCS / name
        assert path.exists(), f"run python -m shared.events.contract_docs ({name} missing)"
        assert path.read_text() == content, f"{name} is stale: regenerate it"


def test_every_crm_event_type_is_documented_with_a_valid_example() -> None:
    documented = {data.event_type for _topic, _subject, data in examples()}
    assert {model.event_type for model in CRM_EVENTS} <= documented
    for model in CRM_EVENTS:
        event = parse_event((DOCS / f"{model.event_type}.example.json").read_bytes())
        assert data_model_for(event.type).from_event(event) is not None
        schema = json.loads((DOCS / f"{model.event_type}.schema.json").read_text())
        assert set(schema["required"]) <= set(event.data)


def test_an_example_broken_against_its_contract_is_refused_with_the_field_named() -> None:
    raw = json.loads((DOCS / "crm.contract.signed.v1.example.json").read_text())
    raw["data"]["official_contact_id"] = "not-on-the-form"
    with pytest.raises(EventSchemaError):
        data_model_for(raw["type"]).from_event(parse_event(json.dumps(raw).encode()))
    raw = json.loads((DOCS / "crm.contact.upserted.v1.example.json").read_text())
    raw["data"]["details"]["data_subject_id"] = "someone-else"
    with pytest.raises(EventSchemaError):
        data_model_for(raw["type"]).from_event(parse_event(json.dumps(raw).encode()))
    del raw["data"]["contact_id"]
    with pytest.raises(EventSchemaError, match="contact_id: missing"):
        data_model_for(raw["type"]).from_event(parse_event(json.dumps(raw).encode()))
