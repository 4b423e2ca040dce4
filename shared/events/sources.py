"""Who publishes: each producer's CloudEvents `source`, and the one way it wraps its events.

`RETENTION.event(subject=..., time=..., data=...)` is the whole of making an event: the type is
the data's own `event_type` (never spelt twice), the source the producer's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.base import EventData
from shared.events.envelope import CloudEvent


@dataclass(frozen=True)
class EventSource:
    source: str

    def event(self, *, subject: str, time: datetime, data: EventData) -> CloudEvent:
        """`data` in an envelope from this source, typed by its own `event_type`."""
        return CloudEvent.of(
            source=self.source, type=data.event_type, subject=subject, time=time, data=data
        )


INTAKE = EventSource("/support/intake")
INTAKE_SMTP = EventSource("/support/intake/smtp")
INTAKE_PRIVACY = EventSource("/support/intake/privacy")
ACCESS = EventSource("/support/access")
RETENTION = EventSource("/support/retention")
SURVEYS = EventSource("/support/surveys")
