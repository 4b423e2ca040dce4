"""Instants from outside are kept in UTC, and one no store can hold is a 422, not a 500 (found by
the OpenAPI fuzzing: a legal hold expiring at 9999-12-31T23:59:59-23:59)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.clock import StoredTime
from tests.support.memory import STAFF, MemorySystem

STORED = TypeAdapter(StoredTime)


def test_an_instant_is_kept_in_utc() -> None:
    oslo = datetime(2026, 12, 5, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    assert STORED.validate_python(oslo) == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert STORED.validate_python(oslo).tzinfo == UTC


@pytest.mark.parametrize(
    "moment", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-12-05T12:00:00"]
)
def test_past_the_last_date_before_the_first_or_without_a_zone_is_refused(moment: str) -> None:
    with pytest.raises(ValidationError):
        STORED.validate_python(moment)


async def test_a_legal_hold_expiring_past_the_last_date_is_a_422() -> None:
    async with MemorySystem(now=datetime.now(UTC)).running() as system:
        placed = await system.http("retention").post(
            "/retention/legal-holds",
            headers=STAFF,
            json={
                "scope": {"kind": "organisation", "id": "org-1"},
                "reason": "litigation",
                "case_reference": "case-1",
                "expires_at": "9999-12-31T23:59:59-23:59",
            },
        )
    assert placed.status_code == 422, placed.text
    assert "expires_at" in placed.text
