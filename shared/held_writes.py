"""The pieces of a held write (shared/write_behind.py): the write itself, and which plain
equality filters a held write, or a document read ahead, answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from bson import CodecOptions, ObjectId
from pymongo import InsertOne, ReplaceOne, UpdateOne

from shared.mongo import Document


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


def _holds(stored: Any, value: Any) -> bool:
    return stored == value or (isinstance(stored, list) and value in stored)


AS_READ: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)
"""Documents as the store gives them back (dates to the millisecond, in UTC)."""
