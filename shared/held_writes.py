"""The pieces of a held write (shared/write_behind.py): the write itself, which plain
equality filters a held write, or a document read ahead, answers, and a collection's held
writes in order, found by a field's value when a read asks whether any concerns it."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from bson import CodecOptions, ObjectId
from pymongo import InsertOne, ReplaceOne, UpdateOne

from shared.mongo import Document

_UNCHANGING = frozenset(
    {str, int, float, bool, type(None), bytes, dt.datetime, dt.date, ObjectId, uuid.UUID}
)


def copied(value: Any) -> Any:
    """A deep copy of a document (what `copy.deepcopy` gives), made faster by walking its
    dictionaries and lists itself and sharing the values nobody can change; anything else is
    left to `copy.deepcopy`. Held writes and read-ahead answers are copies, so a caller that
    changes a document afterwards changes neither."""
    kind = type(value)
    if kind is dict:
        return {key: copied(item) for key, item in value.items()}
    if kind is list:
        return [copied(item) for item in value]
    if kind in _UNCHANGING:
        return value
    return copy.deepcopy(value)


def plain_equality(query: Any) -> bool:
    """A filter of top-level fields compared to plain values (no operators, no dotted paths, no
    dates: values Python compares as Mongo does)."""
    return isinstance(query, dict) and all(
        isinstance(field, str)
        and not field.startswith("$")
        and "." not in field
        and (value is None or isinstance(value, str | int | float | ObjectId))
        for field, value in query.items()
    )


def id_only(query: Any) -> bool:
    return plain_equality(query) and list(query) == ["_id"]


@dataclass(frozen=True)
class Held:
    """A held write: the document it adds, and for an upsert by `_id`, its filter and update.
    An "add if absent" upsert adds the document only if absent; any other upsert (`changes`)
    leaves a document only the store can tell, so it answers no read."""

    document: Document
    upsert: tuple[Document, Document] | None = None
    changes: bool = False
    replaces: bool = False
    """An upsert that replaces the whole document (`replace_one`): `upsert` holds its filter
    and the replacement."""

    def operation(
        self, namespace: str | None = None
    ) -> InsertOne[Document] | UpdateOne | ReplaceOne[Document]:
        """The write, for a collection's `bulk_write` or (with `namespace`) the client's."""
        if self.upsert is None:
            return InsertOne(self.document, namespace=namespace)
        query, update = self.upsert
        if self.replaces:
            return ReplaceOne(query, update, upsert=True, namespace=namespace)
        return UpdateOne(query, update, upsert=True, namespace=namespace)

    def concerns(self, query: Document) -> bool:
        """Whether this write could change what `find_one(query)` finds: an "add if absent"
        only by adding a document the query matches; an upsert that changes one unless the
        query names another `_id`."""
        if self.changes:
            return bool(query.get("_id", self.document["_id"]) == self.document["_id"])
        return matches(self.document, query)


def matches(document: Document, query: Document) -> bool:
    """Whether `document` matches a plain equality filter: a field equal to the value, or an
    array holding it (as MongoDB compares)."""
    return all(_holds(document.get(field), value) for field, value in query.items())


def values_of(stored: Any) -> list[Any]:
    """The values a plain equality filter finds `stored` under: itself, or an array's items."""
    if isinstance(stored, dict):
        return []
    return list(stored) if isinstance(stored, list) else [stored]


def hashable_values_of(stored: Any) -> list[Any]:
    """`values_of`, without those no plain equality filter can name (a list's documents or
    lists): the values a dictionary can be keyed by."""
    return [value for value in values_of(stored) if _hashable(value)]


class HeldQueue:
    """One collection's held writes, in the order they were made.

    Whether any of them could change what a plain equality `find_one` finds is asked for every
    look-up in a batch. Rather than asking every write (a batch of n events would cost n²
    comparisons), the writes that add a document are indexed by the value of the field a
    look-up names first (the index is made when a look-up first names that field, and kept up
    as writes are added), and the upserts that change one by their `_id`."""

    def __init__(self) -> None:
        self._writes: list[Held] = []
        self._adding: list[Held] = []
        self._by_field: dict[str, dict[Any, list[Held]]] = {}
        self._changing = 0
        self._changed_ids: set[Any] = set()

    def __len__(self) -> int:
        return len(self._writes)

    def __iter__(self) -> Iterator[Held]:
        return iter(self._writes)

    def append(self, write: Held) -> None:
        self._writes.append(write)
        if write.changes:
            self._changing += 1
            if _hashable(write.document["_id"]):
                self._changed_ids.add(write.document["_id"])
            return
        self._adding.append(write)
        for field, index in self._by_field.items():
            _index(index, write, field)

    def take(self) -> list[Held]:
        """Every held write, in order; the queue is empty after."""
        writes = self._writes
        self._writes, self._adding, self._by_field = [], [], {}
        self._changing, self._changed_ids = 0, set()
        return writes

    def concern(self, query: Document) -> bool:
        """Whether any held write could change what `find_one(query)` finds, for a plain
        equality `query`: the same answer as asking each write (`Held.concerns`)."""
        if self._changing and ("_id" not in query or query["_id"] in self._changed_ids):
            return True
        if not query:
            return bool(self._adding)
        field, value = next(iter(query.items()))
        index = self._by_field.get(field)
        if index is None:
            index = self._by_field[field] = {}
            for write in self._adding:
                _index(index, write, field)
        return any(matches(write.document, query) for write in index.get(value, ()))


def _index(index: dict[Any, list[Held]], write: Held, field: str) -> None:
    for value in hashable_values_of(write.document.get(field)):
        index.setdefault(value, []).append(write)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _holds(stored: Any, value: Any) -> bool:
    return stored == value or (isinstance(stored, list) and value in stored)


AS_READ: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)
"""Documents as the store gives them back (dates to the millisecond, in UTC)."""
