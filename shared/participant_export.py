"""One participant's part of a person's export (P11): what it holds on them, sealed with their
key, in one event or, for a large part, in slices (`shared/participant.py` stages them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from shared.crypto import KeyStore, SealedPersonalData, seal
from shared.events.privacy import ExportContributed, ExportRequested, ExportSlice, Participant


class Exporting(Protocol):
    async def export(self, data_subject_id: str) -> BaseModel:
        """Everything held on the person, machine-readable."""
        ...


SLICES_PER_TRANSACTION = 8
EXPORT_SLICE_BYTES = 384 * 1024
"""The most JSON text one contribution event seals: sealed (base64) it stays near 512 KiB, well
under the broker's 1 MiB a record, and each slice is a store document well under 16 MiB."""


async def export(
    requested: ExportRequested,
    *,
    participant: Participant,
    holdings: Exporting,
    keys: KeyStore,
    now: Callable[[], datetime],
) -> list[ExportContributed]:
    """One participant's part of a person's export, sealed with the person's key: one event,
    or for a large part (the files of many requests) its JSON text in slices, one event each."""
    person = requested.data_subject_id
    held = await holdings.export(person)
    at = now()

    def contributed(
        records: SealedPersonalData, part: int = 0, parts: int = 1
    ) -> ExportContributed:
        return ExportContributed(
            export_id=requested.export_id,
            participant=participant,
            contributed_at=at,
            records=records,
            part=part,
            parts=parts,
        )

    text = held.model_dump_json()
    if len(text.encode()) <= EXPORT_SLICE_BYTES:
        return [contributed(await seal(held, data_subject_id=person, keys=keys))]
    slices = export_slices(text, budget=EXPORT_SLICE_BYTES)
    return [
        contributed(await seal(piece, data_subject_id=person, keys=keys), number, len(slices))
        for number, piece in enumerate(slices)
    ]


def export_slices(text: str, *, budget: int) -> list[ExportSlice]:
    """The text in order, in slices whose serialised form is at most `budget` bytes."""
    found: list[ExportSlice] = []
    start = 0
    while start < len(text):
        size = budget
        piece = ExportSlice(text=text[start : start + size])
        while size > 1 and len(piece.model_dump_json().encode()) > budget:
            size //= 2
            piece = ExportSlice(text=text[start : start + size])
        found.append(piece)
        start += len(piece.text)
    return found
