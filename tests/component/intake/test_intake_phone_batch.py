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
from shared.topics import dead_letter_topic
from tests.component.intake.conftest import StartIntake
from tests.component.intake.test_intake_phone_web import call, unique_number
from tests.support.apps import eventually
from tests.support.intake import Intake, unique_email
from tests.support.kafka import read_topic

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


async def test_an_unusable_call_in_a_backlog_is_dead_lettered_and_counted_once(
    start_intake: StartIntake,
) -> None:
    """The batch holding it fails and its calls are handled one at a time: the usable ones are
    stored, the unusable one goes to the DLQ, and intake counts the rejection once, not also for
    the failed batch."""
    emails = [unique_email(f"backlog{n}") for n in range(5)]
    unusable = call(unique_number()[0])  # an unknown number and no email: no one to answer
    backlog = [_record(call(unique_number()[0], caller_email=e), subject=e) for e in emails[:2]]
    backlog.append(_record(unusable, subject="unusable"))
    backlog += [_record(call(unique_number()[0], caller_email=e), subject=e) for e in emails[2:]]
    async with start_intake(backlog) as intake:
        metrics = intake.runtime.metrics  # a fresh registry: this intake's counts only

        async def all_stored() -> bool:
            callers = await intake.find("contacts", {"email_normalised": {"$in": emails}})
            ids = [caller["_id"] for caller in callers]
            return len(await intake.find("requests", {"requester_id": {"$in": ids}})) == 5

        await eventually(all_stored, timeout=60)
        letters = await eventually(lambda: _dead_letters(intake, unusable.call_id), timeout=30)
        assert len(letters) == 1
        assert metrics.batch_fallbacks.labels(topic=topics.PHONE_INTAKE)._value.get() >= 1
        assert _rejected(intake) == 1


def _rejected(intake: Intake) -> float:
    labels = {"channel": "phone", "reason": "caller_email"}
    value = intake.runtime.registry.get_sample_value("intake_requests_rejected_total", labels)
    return value or 0.0


async def _dead_letters(intake: Intake, call_id: str) -> list[Any]:
    records = await read_topic(intake.bootstrap, dead_letter_topic(topics.PHONE_INTAKE))
    return [record for record in records if call_id.encode() in record.value]


async def _published(intake: Intake, topic: str, type: str) -> list[Any]:
    async def found() -> list[Any]:
        mine = await intake.events(topic, type=type)
        return [e for e in mine if e["data"].get("requester_id", e["subject"]) in await _ids()]

    async def _ids() -> set[str]:
        return {c["_id"] for c in await intake.find("contacts", {})}

    return await eventually(found, timeout=30)
