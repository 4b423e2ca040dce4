"""Hostile Kafka records: hand-written ones per topic and Hypothesis-generated ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.events import EVENT_TYPES, EventSchemaError, data_model_for, parse_event
from shared.events.contract_examples import examples

AT = "2026-03-02T09:00:00+00:00"
HUGE = 900 * 1024  # under the broker's 1 MiB record limit, far over anything legitimate

Json = None | bool | int | float | str | list[Any] | dict[str, Any]


def envelope(event_type: str, data: Any, **overrides: Any) -> dict[str, Any]:
    document = {
        "specversion": "1.0",
        "id": str(uuid4()),
        "source": "/hostile",
        "type": event_type,
        "time": AT,
        "subject": "hostile-subject",
        "datacontenttype": "application/json",
        "data": data,
    }
    document.update(overrides)
    return document


def _encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def types_of(topic: str) -> list[str]:
    """The event types whose home is this topic (what its consumers expect)."""
    return (
        sorted(t for t, model in EVENT_TYPES.items() if model.topic == topic)
        or sorted(EVENT_TYPES)[:1]
    )


def hand_written(topic: str) -> list[tuple[str, bytes]]:
    """(what it is, record value) of hostile records for a topic; none of them can be processed."""
    expected = types_of(topic)[0]
    deep = _encode(envelope(expected, {})).replace(
        b'"data": {}', b'"data": ' + b'{"n": ' * 50_000 + b"{}" + b"}" * 50_000
    )
    return [
        ("empty record", b""),
        ("not JSON", b"<xml>hello</xml>"),
        ("not UTF-8", b'{"type": "\xff\xfe\xfd"}'),
        (
            "latin-1 JSON",
            json.dumps(envelope(expected, {"x": "æøå"}), ensure_ascii=False).encode("latin-1"),
        ),
        ("JSON array", b"[1, 2, 3]"),
        ("JSON string", b'"support.request.received.v1"'),
        ("missing envelope fields", _encode({"type": expected, "data": {}})),
        ("wrong envelope types", _encode(envelope(expected, "data", time=12, subject=[]))),
        ("unknown version", _encode(envelope(expected.rsplit(".v", 1)[0] + ".v99", {}))),
        ("unknown type", _encode(envelope("evil.injected.v1", {}))),
        ("missing data fields", _encode(envelope(expected, {}))),
        ("wrong data types", _encode(envelope(expected, {"contact_id": {"$ne": None}, "x": [1]}))),
        ("operator injection as id", _encode(envelope(expected, {"$where": "sleep(1000)"}))),
        ("huge payload", _encode(envelope(expected, {"padding": "A" * HUGE}))),
        ("deeply nested", deep),
        ("NaN and infinity", b'{"specversion": "1.0", "data": {"n": NaN, "i": Infinity}}'),
    ]


def lying_content_types() -> list[tuple[str, bytes, list[tuple[str, bytes]]]]:
    """Records whose content-type header promises what the body is not."""
    return [
        ("not JSON, labelled JSON", b"{not json", [("content-type", b"application/json")]),
        ("not UTF-8, labelled text", b"\xff\xfe\xfd", [("content-type", b"text/plain")]),
        ("JSON, labelled an image", b'{"a": 1}', [("content-type", b"image/png")]),
    ]


def undecryptable(topic: str, subject: str, *, service: str) -> list[tuple[str, bytes]]:
    """Valid events whose sealed fields belong to `subject` (whose key exists) but do not open, on
    the topics where this service opens them."""
    sealed = {"data_subject_id": subject, "nonce": "q83vEjRWeJASNFZ4", "ciphertext": "3q2+7w=="}
    found: list[tuple[str, bytes]] = []
    if topic == "support.contacts" and service in {"access", "surveys"}:
        data = {"contact_id": subject, "registered_at": AT, "details": sealed}
        found.append(("undecryptable contact", _encode(envelope(types_of(topic)[0], data))))
    if topic == "intake.email" and service == "intake":
        data = {"mail_id": subject, "received_at": AT, "size": 10, "content": sealed}
        found.append(("undecryptable mail", _encode(envelope(types_of(topic)[0], data))))
    for example_topic, _subject, example in examples():
        data = example.model_dump(mode="json")
        if example_topic == topic == "crm.contracts" and "contacts" in data and service == "access":
            for contact in data["contacts"]:
                contact["contact_id"] = subject
                contact["details"] = sealed
            data["official_contact_id"] = subject
            found.append(
                (
                    "undecryptable contract",
                    _encode(envelope(example.event_type, data, source="/crm")),
                )
            )
    return found


MARKER_TYPE = "access.request.read.v2"


def marker() -> tuple[str, bytes]:
    """A valid event no consumer has a handler for: processing it only counts it (the
    consumer's `events_consumed` by topic and type)."""
    for _topic, subject, example in examples():
        if example.event_type == MARKER_TYPE:
            document = envelope(
                example.event_type, example.model_dump(mode="json"), subject=subject
            )
            document["source"] = "/support/access"
            return document["id"], _encode(document)
    raise AssertionError("the contract examples lost access.request.read.v2")


_json: st.SearchStrategy[Json] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def generated(topic: str, count: int) -> list[tuple[str, bytes]]:
    """Records Hypothesis draws: random bytes, random JSON, envelopes with random data."""
    drawn: list[tuple[str, bytes]] = []
    types = types_of(topic)
    record = st.one_of(
        st.binary(max_size=300).map(lambda raw: ("random bytes", raw)),
        _json.map(lambda value: ("random JSON", _encode(value))),
        st.tuples(st.sampled_from(types), st.dictionaries(st.text(max_size=15), _json)).map(
            lambda pair: ("envelope, random data", _encode(envelope(pair[0], pair[1])))
        ),
        st.tuples(st.sampled_from(types), _json, st.text(max_size=30)).map(
            lambda triple: (
                "random envelope fields",
                _encode(envelope(triple[0], triple[1], subject=triple[2], time=triple[2])),
            )
        ),
    )

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(record)
    def collect(drawn_record: tuple[str, bytes]) -> None:
        drawn.append(drawn_record)

    collect()
    return drawn[:count]


def can_never_be_processed(value: bytes) -> bool:
    """What the consumer's own checks say before any handler runs: True for schema failures."""
    try:
        event = parse_event(value)
        if event.type not in EVENT_TYPES:
            return True
        data_model_for(event.type).from_event(event)
    except EventSchemaError:
        return True
    except RecursionError:
        return True
    return False


def now() -> datetime:
    return datetime.now(UTC)
