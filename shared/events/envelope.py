"""CloudEvents 1.0 envelope in JSON structured mode."""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any, Literal, TypeVar
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

Data = TypeVar("Data", bound=BaseModel)


class EventSchemaError(ValueError):
    """An event that can never be processed: not JSON, not a CloudEvent, or data of the wrong shape."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @classmethod
    def from_validation(cls, prefix: str, error: ValidationError) -> EventSchemaError:
        """Name the fields and rules that failed, never the values (they may be personal)."""
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['type']}" for e in error.errors()
        )
        return cls(f"{prefix}: {problems}")


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 event; `id` is the idempotency key, `subject` the aggregate id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: UUID = Field(default_factory=uuid4)
    source: str = Field(min_length=1)
    type: str = Field(pattern=r"^[a-z0-9_.]+\.v[0-9]+$")
    time: AwareDatetime
    subject: str = Field(min_length=1)
    datacontenttype: Literal["application/json"] = "application/json"
    data: dict[str, Any]

    @classmethod
    def of(
        cls, *, source: str, type: str, subject: str, time: datetime, data: BaseModel
    ) -> CloudEvent:
        """Wrap event data (a pydantic model, personal fields already sealed) in an envelope."""
        return cls(
            source=source, type=type, subject=subject, time=time, data=data.model_dump(mode="json")
        )

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    def validated_data(self, model: builtins.type[Data]) -> Data | None:
        """This event's data as `model`, if it was validated as that already
        (`EventData.from_event`): the consumer checks an event's data before any effect, then
        a batch's preparer and the handler each ask for it again. Kept on the event itself
        (outside its fields: equality, copies and serialising ignore it), so it lives no longer
        than the event does, and only for the very `data` it was validated from (a copy with
        other data validates its own)."""
        kept = self.__dict__.get(_VALIDATED)
        if kept is None or kept[0] is not self.data or builtins.type(kept[1]) is not model:
            return None
        found: Data = kept[1]
        return found

    def keep_validated_data(self, validated: BaseModel) -> None:
        object.__setattr__(self, _VALIDATED, (self.data, validated))


_VALIDATED = "_validated_data"


def parse_event(raw: bytes) -> CloudEvent:
    """Parse a structured-mode CloudEvent, or raise EventSchemaError saying why not."""
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EventSchemaError(f"not JSON: {type(error).__name__}") from None
    if not isinstance(document, dict):
        raise EventSchemaError("not a JSON object")
    try:
        return CloudEvent.model_validate(document)
    except ValidationError as error:
        raise EventSchemaError.from_validation("envelope", error) from None
