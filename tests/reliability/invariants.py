"""The promises checked from the data itself after a fault run: acknowledged means stored once
and visible, nothing done twice, due purges ran, one survey at most, outbox and DLQs accounted."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from shared import topics
from shared.events import parse_event
from shared.events.privacy import ErasureRequested
from tests.reliability.load import SUBMISSIONS, Item, Ledger
from tests.reliability.rig import PREFIX, STAFF, Rig
from tests.support.kafka import read_topic

SERVICE_DATABASES = ("intake", "access", "retention", "surveys")


@dataclass(frozen=True)
class Violation:
    """A broken promise: which one, about which load item (its tag, never personal data)."""

    promise: str
    tag: str
    detail: str
    started: float = 0.0


@dataclass
class Findings:
    violations: list[Violation] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)
    redelivered: Counter[str] = field(default_factory=Counter)
    effects: Counter[str] = field(default_factory=Counter)

    def broke(self, promise: str, item: Item | None, detail: str) -> None:
        tag, started = (item.tag, item.started) if item else ("-", 0.0)
        self.violations.append(Violation(promise, tag, detail, started))

    def of(self, promise: str) -> list[Violation]:
        return [v for v in self.violations if v.promise == promise]


async def check(rig: Rig, ledger: Ledger, *, seen: set[str]) -> Findings:
    """Every invariant once, on the current state (callers retry until it settles); `seen`
    keeps the requests already read back through access, so a retry asks only for the rest."""
    found = Findings()
    async with AsyncMongoClient[dict[str, Any]](rig.mongodb_url) as mongo:
        requests = await _requests_by_tag(mongo, ledger)
        async with httpx.AsyncClient(timeout=10) as http:
            await _stored_once_and_visible(rig, http, ledger, requests, found, seen)
            await _purges_ran(rig, http, ledger, found)
        _mail_sent_once(rig, ledger, requests, found)
        await _outbox_drained(mongo, found)
    await _dead_letters(rig, found)
    return found


async def _requests_by_tag(
    mongo: AsyncMongoClient[dict[str, Any]], ledger: Ledger
) -> dict[str, list[str]]:
    """Request ids in intake's own store per load tag (from the subject, which carries the tag)."""
    pattern = re.compile(r"Reliability case ([0-9a-f]{12})")
    found: dict[str, list[str]] = {i.tag: [] for i in ledger.of(*SUBMISSIONS)}
    cursor = mongo[f"{PREFIX}intake"]["requests"].find(
        {"subject": {"$regex": "Reliability case"}}, {"subject": 1}
    )
    async for document in cursor:
        match = pattern.search(document["subject"])
        if match and match.group(1) in found:
            found[match.group(1)].append(document["_id"])
    return found


async def _stored_once_and_visible(
    rig: Rig,
    http: httpx.AsyncClient,
    ledger: Ledger,
    requests: dict[str, list[str]],
    found: Findings,
    seen: set[str],
) -> None:
    limit = asyncio.Semaphore(16)

    async def visible(item: Item, request_id: str) -> None:
        url = f"{rig.url('access')}/requests/{request_id}"
        async with limit:
            try:
                staff = await http.get(url, headers=STAFF)
                anonymous = await http.get(url)
            except httpx.HTTPError as error:  # counted now, asked again on the next check
                found.broke("visible to staff only", item, f"access: {type(error).__name__}")
                return
        if staff.status_code == 200 and anonymous.status_code == 401:
            seen.add(request_id)
        else:
            found.broke(
                "visible to staff only",
                item,
                f"staff {staff.status_code}, anonymous {anonymous.status_code}",
            )

    checks = []
    for item in ledger.of(*SUBMISSIONS):
        ids = requests[item.tag]
        found.checked["stored once"] += 1
        if len(ids) > 1:
            found.broke("stored once", item, f"{item.kind}: {len(ids)} requests")
        if not item.acked:
            continue
        if len(ids) != 1:
            found.broke("stored once", item, f"acknowledged {item.kind}: {len(ids)} requests")
            continue
        if item.request_id is not None and ids != [item.request_id]:
            found.broke("stored once", item, "acknowledged id differs from the stored one")
        found.checked["visible to staff only"] += 1
        if ids[0] not in seen:
            checks.append(visible(item, ids[0]))
    await asyncio.gather(*checks)


def _mail_sent_once(
    rig: Rig, ledger: Ledger, requests: dict[str, list[str]], found: Findings
) -> None:
    """Acknowledgements: one per acknowledged request; survey invitations: one per resolution.
    A mail is one Message-ID: a resend after a crash between sending and recording it carries
    the same Message-ID (mail clients show one); such SMTP redeliveries are counted apart."""
    deliveries = Counter(str(m["Message-ID"]) for m in rig.sink.messages)
    for message_id, times in deliveries.items():
        for kind, prefix in (("survey", "<survey-"), ("acknowledgement", "<ack.")):
            if times > 1 and message_id.startswith(prefix):
                found.redelivered[kind] += times - 1
    surveys_to: dict[str, set[str]] = {}
    for message in rig.sink.messages:
        if str(message["Message-ID"]).startswith("<survey-"):
            to = str(message["To"]).casefold()
            surveys_to.setdefault(to, set()).add(str(message["Message-ID"]))
    resolved = {i.email for i in ledger.of("resolution") if i.acked}
    found.effects["resolutions acknowledged"] = len(resolved)
    found.effects["survey invitations"] = sum(len(ids) for ids in surveys_to.values())
    found.effects["acknowledgement mails"] = sum(1 for key in deliveries if key.startswith("<ack."))
    for item in ledger.of(*SUBMISSIONS):
        for request_id in requests[item.tag]:
            found.checked["acknowledged once"] += 1
            sent = sum(1 for key in deliveries if key.startswith(f"<ack.{request_id}@"))
            if sent != 1:
                found.broke("acknowledged once", item, f"{sent} acknowledgement mails")
        invitations = sum(len(ids) for to, ids in surveys_to.items() if item.email in to)
        found.checked["survey sent once"] += 1
        expected = 1 if item.email in resolved else 0
        if invitations > 1 or invitations < expected:
            found.broke("survey sent once", item, f"{invitations} invitations")


async def _purges_ran(rig: Rig, http: httpx.AsyncClient, ledger: Ledger, found: Findings) -> None:
    """Each terminated organisation (a year and more ago) was purged exactly once, certified."""
    erasures: dict[str, list[str]] = {}
    for record in await read_topic(rig.kafka_bootstrap, topics.PRIVACY_ERASURE):
        event = parse_event(record.value or b"")
        if event.type == ErasureRequested.event_type:
            requested = ErasureRequested.from_event(event)
            erasures.setdefault(requested.scope.id, []).append(requested.erasure_id)
    for item in ledger.of("crm"):
        ids = set(erasures.get(f"org-{item.tag}", []))
        found.checked["due purge ran once"] += 1
        if len(ids) > 1 or (item.acked and len(ids) != 1):
            found.broke("due purge ran once", item, f"{len(ids)} purges")
            continue
        found.effects["purges"] += len(ids)
        for erasure_id in ids:
            found.effects["certificates asked"] += 1
            try:
                answer = await http.get(
                    f"{rig.url('retention')}/privacy/certificates/{erasure_id}", headers=STAFF
                )
                status = str(answer.status_code)
                if status == "200" and answer.json().get("remaining_total") != 0:
                    status = "with something left"  # measured by the participants after the fact
            except httpx.HTTPError as error:
                status = type(error).__name__
            if status != "200":
                found.broke("due purge ran once", item, f"certificate {status}")


OUTBOXES = {service: ("outbox",) for service in SERVICE_DATABASES} | {
    "access": ("outbox", "read_audit")  # an audit record is its read event's outbox entry
}


async def _outbox_drained(mongo: AsyncMongoClient[dict[str, Any]], found: Findings) -> None:
    for service in SERVICE_DATABASES:
        for outbox in OUTBOXES[service]:
            found.checked["outbox drained"] += 1
            database = mongo[PREFIX + service]
            pending = await database[outbox].count_documents({"sent_at": None})
            if pending:
                found.broke("outbox drained", None, f"{service}.{outbox}: {pending} unpublished")


async def _dead_letters(rig: Rig, found: Findings) -> None:
    """Count dead letters per topic and reason; the load is all valid, so any is a violation."""
    admin = AIOKafkaAdminClient(bootstrap_servers=rig.kafka_bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if t.endswith(topics.DEAD_LETTER_SUFFIX)]
    finally:
        await admin.close()
    for name in sorted(names):
        found.checked["dead letters accounted"] += 1
        for record in await read_topic(rig.kafka_bootstrap, name):
            headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
            reason = headers.get("dlq-reason", "?")
            found.dead_letters[f"{name}: {reason}"] += 1
            found.broke("dead letters accounted", None, f"{name}: {reason}")
