"""The CloudEvents envelope: what parses, and how refusals are worded (no values echoed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.events import CloudEvent, EventSchemaError, parse_event
from shared.events.channels import PhoneCallLogged
from shared.events.intake import RequestReceived


def _event(**changes: object) -> bytes:
    document: dict[str, object] = {
        "specversion": "1.0",
        "id": "0b6f3a0e-7c55-4d0e-9f5e-0f8a7c4f2a11",
        "source": "/tests",
        "type": "support.request.received.v1",
        "time": "2026-11-28T10:00:00Z",
        "subject": "r1",
        "datacontenttype": "application/json",
        "data": {"secret": "Ada Example"},
    }
    document.update(changes)
    return json.dumps(document).encode()


def test_a_structured_mode_event_parses() -> None:
    event = parse_event(_event())
    assert event.subject == "r1"
    assert event.time == datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not JSON: JSONDecodeError"),
        (b"[1, 2]", "not a JSON object"),
        (_event(specversion="0.3"), "envelope: specversion: literal_error"),
        (_event(type="Support Request"), "envelope: type: string_pattern_mismatch"),
        (_event(time="2026-11-28T10:00:00"), "envelope: time: timezone_aware"),
        (_event(extra="x"), "envelope: extra: extra_forbidden"),
    ],
)
def test_unusable_input_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(EventSchemaError) as refused:
        parse_event(raw)
    assert refused.value.reason == reason


def test_data_of_the_wrong_shape_names_fields_never_values() -> None:
    event = parse_event(_event())
    with pytest.raises(EventSchemaError) as refused:
        RequestReceived.from_event(event)
    assert "Ada" not in refused.value.reason
    assert "request_id: missing" in refused.value.reason
    assert "secret: extra_forbidden" in refused.value.reason


def test_an_envelope_round_trips_through_bytes() -> None:
    event = parse_event(_event())
    assert CloudEvent.model_validate_json(event.to_bytes()) == event


def test_an_event_s_data_is_validated_once_and_the_envelope_is_unchanged_by_it() -> None:
    """The consumer checks the data, then a preparer and the handler ask for it again: they
    get the one validated copy, and equality and serialising still see only the fields."""
    call = {
        "call_id": "c1",
        "caller_number": "+44 20 7946 0000",
        "caller_email": "caller@example.org",
        "agent_id": "agent-1",
        "call_started_at": "2026-11-28T10:00:00Z",
        "call_ended_at": "2026-11-28T10:05:00Z",
        "notes": "Called about an invoice.",
    }
    raw = _event(type=PhoneCallLogged.event_type, data=call)
    event, twin = parse_event(raw), parse_event(raw)
    first = PhoneCallLogged.from_event(event)
    assert PhoneCallLogged.from_event(event) is first
    assert PhoneCallLogged.from_event(twin) is not first  # another event validates its own
    assert PhoneCallLogged.from_event(twin) == first
    assert event == parse_event(raw)
    assert event.to_bytes() == parse_event(raw).to_bytes()
    with pytest.raises(EventSchemaError):  # a different type is still refused, not answered
        RequestReceived.from_event(event)
    copied_with_other_data = event.model_copy(update={"data": {**call, "call_id": "c2"}})
    assert PhoneCallLogged.from_event(copied_with_other_data).call_id == "c2"
