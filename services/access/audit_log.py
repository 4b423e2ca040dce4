"""The read audit (P6): one record per read of request content, ids only, kept.

A record says who read, when, and which requests on which ground each: a request's detail
(one request) or a listed page (every request on it), so a page costs one record and one
event, not one of each per request listed. The record is also the outbox entry of its event
(`access.request.read.v2`): one document, so the audit and its event are written together or
not at all without a transaction, and a relay of their own publishes them (`AUDIT_ORDER`)."""

from __future__ import annotations

from dataclasses import replace

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from services.access.domain import ReadAudit, RequestRead
from shared.events import CloudEvent
from shared.mongo import Document
from shared.outbox import outbox_documents
from shared.stores import MongoCollection, document_of

AUDIT = "read_audit"
AUDIT_ORDER = "read_at"
"""The order the audit relay publishes in (the records' ids are random)."""


class MongoAuditLog(MongoCollection):
    """Read audits: ids, grounds and times only."""

    collection_name = AUDIT

    async def record(self, audit: ReadAudit, *, topic: str, event: CloudEvent) -> None:
        """The read's record with its event staged in it: one insert, durable on return."""
        [staged] = outbox_documents(topic=topic, events=[event])
        await self._insert({**staged, **audit_document(audit)})

    async def query(
        self, *, request_id: str | None, reader_id: str | None, limit: int
    ) -> list[ReadAudit]:
        """The newest reads, of one request or by one reader; filtered by request, a read
        lists only that request."""
        criteria: Document = {}
        if request_id:
            criteria["requests.request_id"] = request_id
        if reader_id:
            criteria["reader_id"] = reader_id
        found = self._collection.find(criteria, session=self._session).sort(
            [("read_at", DESCENDING), ("_id", ASCENDING)]
        )
        audits = [_audit_from(d) for d in await found.limit(limit).to_list()]
        if request_id:
            audits = [
                replace(a, requests=tuple(r for r in a.requests if r.request_id == request_id))
                for a in audits
            ]
        return audits


def audit_document(audit: ReadAudit) -> Document:
    """A read audit as stored: one document per read, the audit id its id."""
    document = document_of(audit)
    document["_id"] = document.pop("audit_id")
    return document


AUDIT_FIELDS = ("reader_id", "reader_role", "read_at")
V1_AUDIT_FIELDS = ("request_id", "ground", "grant_id", "organisation_id")
V1_AUDIT_INDEX = "request_id_1_read_at_-1"


async def upgrade_read_audits(database: AsyncDatabase[Document]) -> int:
    """Audits stored one per request (before v2 of the read event) in today's shape: one read
    listing that one request, so the trail of a request still finds them; marked sent, since
    their v1 events went out through the outbox. Run at start-up; returns how many were
    upgraded. Only a store that still has v1's index holds such audits: without it, nothing
    is read (the audit log is kept for good and grows)."""
    audits = database[AUDIT]
    if V1_AUDIT_INDEX not in await audits.index_information():
        return 0
    upgraded = 0
    async for old in audits.find({"request_id": {"$exists": True}}):
        read = {name: old.get(name) for name in V1_AUDIT_FIELDS}
        await audits.update_one(
            {"_id": old["_id"]},
            {
                "$set": {"requests": [read], "sent_at": old.get("read_at")},
                "$unset": dict.fromkeys(V1_AUDIT_FIELDS, ""),
            },
        )
        upgraded += 1
    await audits.drop_index(V1_AUDIT_INDEX)  # last: a start cut short upgrades the rest next
    return upgraded


def _audit_from(document: Document) -> ReadAudit:
    fields = {name: document[name] for name in AUDIT_FIELDS}
    requests = tuple(RequestRead(**r) for r in document["requests"])
    return ReadAudit(audit_id=document["_id"], requests=requests, **fields)


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await upgrade_read_audits(database)
    await database[AUDIT].create_index([("requests.request_id", 1), ("read_at", DESCENDING)])
    await database[AUDIT].create_index([("reader_id", 1), ("read_at", DESCENDING)])
