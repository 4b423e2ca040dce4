"""One web request through all four services as real processes, real Kafka, real storage."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.local.services import ServiceProcess
from tests.support.apps import eventually
from tests.support.infrastructure import Infrastructure
from tests.support.system import four_services

STAFF = {"Authorization": "Bearer e2e-staff-token"}


@pytest.fixture
async def system(
    infrastructure: Infrastructure, instance_prefix: str, tmp_path: Path
) -> AsyncIterator[dict[str, ServiceProcess]]:
    async with four_services(
        infrastructure, instance_prefix=instance_prefix, log_dir=tmp_path
    ) as processes:
        yield processes


async def test_web_request_is_stored_published_and_read_back_by_support_staff(
    system: dict[str, ServiceProcess],
) -> None:
    submission = {
        "full_name": "Ada Example",
        "email": "ada.example@example.org",
        "phone": "+47 22 33 44 55",
        "company": "Example AS",
        "subject": "Cannot open course page",
        "body": "The course page shows an error since this morning.",
    }
    async with httpx.AsyncClient(timeout=10) as http:
        accepted = await http.post(f"{system['intake'].url}/requests", json=submission)
        assert accepted.status_code == 202, accepted.text
        request_id = accepted.json()["request_id"]
        assert accepted.json()["reference"].startswith("SR-")

        async def read_back() -> httpx.Response | None:
            response = await http.get(
                f"{system['access'].url}/requests/{request_id}", headers=STAFF
            )
            return response if response.status_code == 200 else None

        read = (await eventually(read_back, timeout=60)).json()
        assert read["subject"] == submission["subject"]
        assert read["body"] == submission["body"]
        assert read["requester_name"] == "Ada Example"
        assert read["channel"] == "web"
        assert read["lawful_basis"] == "legitimate_interest"

        listed = await http.get(f"{system['access'].url}/requests", headers=STAFF)
        assert request_id in [r["request_id"] for r in listed.json()]

        anonymous = await http.get(f"{system['access'].url}/requests/{request_id}")
        assert anonymous.status_code == 401

        async def clock() -> httpx.Response | None:
            response = await http.get(
                f"{system['retention'].url}/retention/requests/{request_id}", headers=STAFF
            )
            return response if response.status_code == 200 else None

        retention = (await eventually(clock, timeout=60)).json()
        assert retention["rule"] == "inactivity"
        assert retention["purge_due_at"] is not None

        async def candidate() -> httpx.Response | None:
            response = await http.get(
                f"{system['surveys'].url}/surveys/candidates/{request_id}", headers=STAFF
            )
            return response if response.status_code == 200 else None

        assert (await eventually(candidate, timeout=60)).json()["status"] == "open"

        for process in system.values():
            ready = await http.get(f"{process.url}/readyz")
            assert ready.status_code == 200, (process.name, ready.text)
            metrics = await http.get(f"{process.url}/metrics")
            assert f"{process.name}_ready 1.0" in metrics.text


async def test_malformed_web_submission_names_the_field_and_rule(
    system: dict[str, ServiceProcess],
) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            f"{system['intake'].url}/requests",
            json={"full_name": "", "email": "not-an-email", "subject": "s", "body": "b"},
        )
    assert response.status_code == 422
    problems = {p["field"]: p["rule"] for p in response.json()["detail"]}
    assert problems["full_name"] == "string_too_short"
    assert problems["email"] == "value_error"
    assert "not-an-email" not in response.text
