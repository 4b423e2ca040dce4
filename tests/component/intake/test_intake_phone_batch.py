"""A backlog of calls read many at a time (one transaction per batch, callers and keys read
ahead) has exactly the effects of the same calls read one by one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared import topics
from shared.crypto import unseal
from shared.events import CloudEvent
from shared.events.channels import PhoneCallLogged
from shared.events.intake import ContactRegistered, RequestContent, RequestReceived
from tests.component.intake.conftest import StartIntake
from tests.component.intake.test_intake_phone_web import call, unique_number
from tests.support.apps import eventually
from tests.support.intake import Intake, unique_email

CALLERS = 30


def _record(logged: PhoneCallLogged, *, subject: str) -> tuple[str, bytes, bytes]:
    event = CloudEvent.of(
        source="/tests",
        type=logged.event_type,
        subject=subject,
        time=datetime.now(UTC),
        data=logged,
    )
    return topics.PHONE_INTAKE, subject.encode(), event.to_bytes()


def _batches(intake: Intake) -> tuple[float, float]:
    metrics = intake.runtime.metrics
    histogram = metrics.batch_records.labels(topic=topics.PHONE_INTAKE)
    samples = {s.name.rsplit("_", 1)[-1]: s.value for s in next(iter(histogram.collect())).samples}
    return samples["count"], samples["sum"]


async def test_a_backlog_of_calls_has_the_effects_of_the_calls_one_by_one(
    start_intake: StartIntake,
) -> None:
    emails = [unique_email(f"caller{n}") for n in range(CALLERS)]
    first = call(unique_number()[0], caller_email=emails[0], subject="First")
    backlog = [_record(first, subject="a")]
    backlog += [
        _record(call(unique_number()[0], caller_email=email), subject=f"c{n}")
        for n, email in enumerate(emails[1:])
    ]
    backlog.append(_record(first, subject="a"))  # the same call logged again
    backlog.append(_record(call(unique_number()[0], caller_email=emails[0]), subject="a"))
    async with start_intake(backlog) as intake:

        async def all_requests() -> bool:
            found = await intake.find("requests", {})
            return len(found) >= CALLERS + 1

        await eventually(all_requests, timeout=60)
        assert len(await intake.requests_of(emails[0])) == 2  # the caller who called twice
        for email in emails[1:]:
            assert len(await intake.requests_of(email)) == 1
        contacts = await intake.find("contacts", {})
        assert sorted(c["email_normalised"] for c in contacts) == sorted(emails)

        count, events = _batches(intake)
        assert events == len(backlog) and count < len(backlog) / 3  # read many at a time
        fallbacks = intake.runtime.metrics.batch_fallbacks.labels(topic=topics.PHONE_INTAKE)
        assert fallbacks._value.get() == 0

        received = await _published(intake, topics.SUPPORT_REQUESTS, RequestReceived.event_type)
        assert len(received) == CALLERS + 1
        registered = await _published(intake, topics.SUPPORT_CONTACTS, ContactRegistered.event_type)
        assert sorted(e["subject"] for e in registered) == sorted(c["_id"] for c in contacts)
        for event in received:  # sealed with the key stored for the requester
            data = RequestReceived.model_validate(event["data"])
            content = await unseal(data.content, RequestContent, keys=intake.runtime.keys)
            assert content is not None
            assert str(content.requester.email) in emails


async def _published(intake: Intake, topic: str, type: str) -> list[Any]:
    async def found() -> list[Any]:
        mine = await intake.events(topic, type=type)
        return [e for e in mine if e["data"].get("requester_id", e["subject"]) in await _ids()]

    async def _ids() -> set[str]:
        return {c["_id"] for c in await intake.find("contacts", {})}

    return await eventually(found, timeout=30)
