"""The pieces of a held write (shared/write_behind.py): the write itself, and which plain
equality filters a held write, or a document read ahead, answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from bson import CodecOptions, ObjectId
from pymongo import InsertOne, UpdateOne

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
    """A held write: the document it adds, and for an "add if absent" upsert, its filter and
    update (the document is added only if absent)."""

    document: Document
    upsert: tuple[Document, Document] | None = None

    def operation(self, namespace: str | None = None) -> InsertOne[Document] | UpdateOne:
        """The write, for a collection's `bulk_write` or (with `namespace`) the client's."""
        if self.upsert is None:
            return InsertOne(self.document, namespace=namespace)
        query, update = self.upsert
        return UpdateOne(query, update, upsert=True, namespace=namespace)

    def concerns(self, query: Document) -> bool:
        """Whether this write could change what `find_one(query)` finds: only by adding a
        document the query matches."""
        return matches(self.document, query)


def matches(document: Document, query: Document) -> bool:
    return all(document.get(field) == value for field, value in query.items())


AS_READ: CodecOptions[Document] = CodecOptions(tz_aware=True, tzinfo=UTC)
"""Documents as the store gives them back (dates to the millisecond, in UTC)."""
