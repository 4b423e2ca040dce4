"""What a batch's preparer read ahead of one collection (`WriteBehindCollection.prime`): the
documents under each value of a field, kept true to the batch's own writes, so that plain
equality look-ups of those values are answered from memory."""

from __future__ import annotations

from typing import Any

import bson

from shared.held_writes import AS_READ, Held, copied, hashable_values_of, matches, plain_equality
from shared.mongo import Document


class PrimedDocuments:
    """Documents by field and value, as read (`add`) and as the held writes sent since left
    them (`fold`)."""

    def __init__(self) -> None:
        self._known: dict[str, dict[Any, list[Document]]] = {}

    def values(self, field: str) -> dict[Any, list[Document]]:
        """The documents known under each value of `field` (to add to)."""
        return self._known.setdefault(field, {})

    def drop(self, field: str) -> None:
        self._known.pop(field, None)

    def clear(self) -> None:
        self._known.clear()

    def fold(self, write: Held) -> None:
        """What a held write does to the documents known, once sent."""
        if not self._known:
            return
        if write.changes:  # what it leaves only the store can tell: read it again if asked
            self._known.get("_id", {}).pop(write.document["_id"], None)
            for field in [field for field in self._known if field != "_id"]:
                del self._known[field]
            return
        if write.upsert is not None:  # added only if absent
            by_id = self._known.get("_id", {})
            if write.document["_id"] not in by_id:
                self._known.clear()  # unknown whether it adds a document
                return
            if by_id[write.document["_id"]]:
                return
        stored = bson.decode(bson.encode(write.document), codec_options=AS_READ)
        for field, known in self._known.items():
            for value in hashable_values_of(stored.get(field)):
                if value in known:
                    known[value].append(stored)

    def answer(self, query: Document) -> tuple[bool, Document | None]:
        """(answered, document) for a plain equality query naming a known value."""
        for field, value in query.items():
            if value in self._known.get(field, {}):
                candidates = self._known[field][value]
                match = next((d for d in candidates if matches(d, query)), None)
                return True, copied(match)
        return False, None

    def answer_any(self, clauses: list[Document]) -> list[Document] | None:
        """The documents matching any of these one-field clauses, each once, if every clause
        names a known value; else None."""
        if not all(plain_equality(c) and len(c) == 1 for c in clauses):
            return None
        found: dict[Any, Document] = {}
        for clause in clauses:
            [(field, value)] = clause.items()
            if value not in self._known.get(field, {}):
                return None
            for document in self._known[field][value]:
                found.setdefault(document["_id"], copied(document))
        return list(found.values())
