"""Event schemas: the CloudEvents envelope and the data of each event type, per producer."""

from shared.events.base import EventData
from shared.events.envelope import CloudEvent, EventSchemaError, parse_event
from shared.events.registry import EVENT_TYPES, data_model_for

__all__ = [
    "EVENT_TYPES",
    "CloudEvent",
    "EventData",
    "EventSchemaError",
    "data_model_for",
    "parse_event",
]
