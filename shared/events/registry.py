"""Every event type the system knows, by CloudEvents `type`."""

from __future__ import annotations

from shared.events.base import EventData
from shared.events.intake import RequestReceived

EVENT_TYPES: dict[str, type[EventData]] = {model.event_type: model for model in (RequestReceived,)}


def data_model_for(event_type: str) -> type[EventData]:
    return EVENT_TYPES[event_type]
