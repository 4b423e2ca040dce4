"""A batch's held writes (shared/held_writes.py): the queue that says whether any held write
concerns a look-up answers exactly as asking every write, and a document's copy is a deep copy."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

import bson
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.held_writes import AS_READ, Held, HeldQueue, copied
from shared.stores import document_of

FIELDS = ("_id", "email", "tags", "n")
plain_values = st.one_of(
    st.none(),
    st.sampled_from(["a", "b", "c"]),
    st.integers(min_value=0, max_value=2),
    st.sampled_from([0.0, 1.0, True]),
)
stored_values = st.one_of(
    plain_values,
    st.lists(st.one_of(plain_values, st.fixed_dictionaries({"x": plain_values})), max_size=3),
    st.fixed_dictionaries({"x": plain_values}),
)
documents = st.dictionaries(st.sampled_from(FIELDS), stored_values, max_size=4).map(
    lambda d: {"_id": d.pop("_id", "x") if not isinstance(d.get("_id"), list | dict) else "x", **d}
)


@st.composite
def held_writes(draw: st.DrawFn) -> Held:
    document = draw(documents)
    kind = draw(st.sampled_from(["insert", "add if absent", "change"]))
    if kind == "insert":
        return Held(document)
    query = {"_id": document["_id"]}
    if kind == "add if absent":
        return Held(document, upsert=(query, {"$setOnInsert": document}))
    return Held(dict(query), upsert=(query, {"$set": document}), changes=True)


queries = st.dictionaries(st.sampled_from(FIELDS), plain_values, max_size=3)


@settings(max_examples=400, deadline=None)
@given(
    writes=st.lists(held_writes(), max_size=8),
    asked=st.lists(st.tuples(st.integers(0, 8), queries), max_size=6),
)
def test_the_queue_says_a_look_up_is_concerned_exactly_when_some_held_write_concerns_it(
    writes: list[Held], asked: list[tuple[int, dict[str, Any]]]
) -> None:
    """Asked between writes too, so that an index made by one look-up is kept up by the
    writes added after it."""
    queue = HeldQueue()
    for position, write in enumerate([*writes, None]):
        for when, query in asked:
            if when == position:
                expected = any(held.concerns(query) for held in writes[:position])
                assert queue.concern(query) is expected, (writes[:position], query)
        if write is not None:
            queue.append(write)
    assert queue.take() == writes
    assert len(queue) == 0
    assert not any(queue.concern(query) for _, query in asked)


def test_a_look_up_by_a_value_stored_in_a_list_or_missing_is_concerned() -> None:
    queue = HeldQueue()
    queue.append(Held({"_id": 1, "tags": ["a", {"x": 1}]}))
    assert queue.concern({"tags": "a"})
    assert not queue.concern({"tags": "b"})
    assert queue.concern({"email": None})  # a missing field equals null, as in MongoDB
    queue.append(Held({"_id": 2}, upsert=({"_id": 2}, {"$set": {"n": 1}}), changes=True))
    assert queue.concern({"email": "someone"})  # a change may have set it: only the store knows
    assert not queue.concern({"_id": 3})
    assert queue.concern({"_id": 2})


document_trees = st.recursive(
    st.one_of(
        plain_values,
        st.binary(max_size=4),
        st.builds(ObjectId),
        st.datetimes(timezones=st.just(dt.UTC)),
        st.tuples(st.integers()),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=12,
)


def _change_every_container(value: Any) -> None:
    if isinstance(value, dict):
        for item in list(value.values()):
            _change_every_container(item)
        value["changed"] = True
    elif isinstance(value, list):
        for item in list(value):
            _change_every_container(item)
        value.append("changed")


@given(document=st.dictionaries(st.text(max_size=3), document_trees, max_size=4))
def test_a_copy_equals_a_deep_copy_and_shares_nothing_that_can_change(
    document: dict[str, Any],
) -> None:
    made, before = copied(document), copy.deepcopy(document)
    assert made == before
    _change_every_container(document)
    assert made == before


@dataclass(frozen=True)
class Part:
    name: str
    at: dt.datetime


@dataclass(frozen=True)
class Whole:
    whole_id: str
    parts: tuple[Part, ...]
    tags: list[str]
    extra: dict[str, Any]
    nothing: None = None


def test_a_dataclass_is_stored_as_asdict_gives_it_with_tuples_as_the_arrays_read_back() -> None:
    at = dt.datetime(2026, 12, 6, 10, 0, 0, 123000, tzinfo=dt.UTC)
    whole = Whole("w1", (Part("a", at), Part("b", at)), ["x"], {"n": [1, (2, 3)]})
    document = document_of(whole)
    read_back = bson.decode(bson.encode(asdict(whole)), codec_options=AS_READ)
    assert document == read_back
    assert isinstance(document["parts"], list)
    assert Held(document).concerns({"tags": "x"})  # an array's item matches, as in MongoDB
    document["tags"].append("y")
    document["extra"]["n"].append(4)
    assert whole.tags == ["x"] and whole.extra == {"n": [1, (2, 3)]}
