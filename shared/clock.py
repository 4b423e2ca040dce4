"""An injectable clock: deadlines come from event times, never from when a consumer ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import AfterValidator, AwareDatetime


def _storable(moment: datetime) -> datetime:
    """In UTC, where MongoDB (BSON: milliseconds since 1970, 64 bits) and Python can hold it:
    an instant like 9999-12-31T23:59-23:59 is past Python's last date once it is in UTC."""
    try:
        in_utc = moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the dates that can be stored") from None
    if not datetime(1, 1, 2, tzinfo=UTC) <= in_utc <= datetime(9999, 12, 30, tzinfo=UTC):
        raise ValueError("outside the dates that can be stored")
    return in_utc


StoredTime = Annotated[AwareDatetime, AfterValidator(_storable)]
"""An instant from outside (a request body or query) with its zone, kept in UTC; 422 rather
than a 500 for one no store can hold."""


class Clock(Protocol):
    """Something that tells the current time in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to; for tests and replays."""

    def __init__(self, at: datetime) -> None:
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, by: timedelta) -> None:
        self._at += by
