"""Base of every event's `data`: frozen, versioned, validated on the way in."""

from __future__ import annotations

from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.events.envelope import CloudEvent, EventSchemaError


class EventData(BaseModel):
    """The `data` of one event type; `event_type` names it, versioned (`...v1`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[str]

    @classmethod
    def from_event(cls, event: CloudEvent) -> Self:
        """Validate an event's data against this type, or raise EventSchemaError naming the fields."""
        if event.type != cls.event_type:
            raise EventSchemaError(f"expected {cls.event_type}, got {event.type}")
        known = event.validated_data(cls)
        if known is not None:  # frozen: the one validated copy can be shared
            return known
        try:
            data = cls.model_validate(event.data)
        except ValidationError as error:
            raise EventSchemaError.from_validation(f"data of {event.type}", error) from None
        event.keep_validated_data(data)
        return data
