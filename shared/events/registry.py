"""Every event type the system knows, by CloudEvents `type`. Add new types to `_ALL`."""

from __future__ import annotations

from shared.events.base import EventData
from shared.events.intake import ContactRegistered, MessageAdded, RequestReceived, StatusChanged
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
)

_ALL: tuple[type[EventData], ...] = (
    RequestReceived,
    MessageAdded,
    StatusChanged,
    ContactRegistered,
    ErasureRequested,
    ErasureCompleted,
    ExportRequested,
    ExportContributed,
)

EVENT_TYPES: dict[str, type[EventData]] = {model.event_type: model for model in _ALL}


def data_model_for(event_type: str) -> type[EventData]:
    return EVENT_TYPES[event_type]
