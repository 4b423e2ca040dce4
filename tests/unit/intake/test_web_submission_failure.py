"""A web submission that cannot be stored for a reason other than the store being away (a
fault of ours, such as a transaction the store cannot take) is still answered 503 with nothing
accepted, but is no longer silent: it is counted as an error and logged by error type, with
nothing of what the person sent."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from services.intake import handlers
from tests.support.memory import MemorySystem
from tests.support.producers import Person


async def test_a_submission_failing_on_our_side_is_logged_by_type_and_counted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def failing(**_: Any) -> Any:
        raise RuntimeError("transaction too large for stranger@example.org")

    monkeypatch.setattr(handlers, "submit_request", failing)
    async with MemorySystem(now=datetime.now(UTC)).running() as system:
        with caplog.at_level(logging.ERROR, logger="services.intake.web_intake"):
            refused = await system.http("intake").post(
                "/requests", json=Person.new("Stranger").web_form()
            )
        assert refused.status_code == 503
        assert "nothing was accepted" in refused.json()["detail"]
        logged = [r for r in caplog.records if r.name == "services.intake.web_intake"]
        assert [(r.getMessage(), getattr(r, "error", None)) for r in logged] == [
            ("web submission not stored", "RuntimeError")
        ]
        assert "stranger" not in caplog.text.lower()
        registry = system.services["intake"].runtime.registry
        counted = registry.get_sample_value(
            "intake_requests_rejected_total", {"channel": "web", "reason": "error"}
        )
        assert counted == 1
        assert await system.database("intake")["requests"].count_documents({}) == 0
