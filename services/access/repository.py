"""access's read model of requests, filtered by visibility in the query itself, and the audit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from services.access import audit_log, correspondence
from services.access.domain import (
    AttachmentView,
    MessageView,
    OrganisationDecision,
    RequestFilters,
    RequestView,
    Visibility,
    ground_for,
    lawful_basis_for,
)
from services.access.read_queries import (
    InvalidCursorError,
    after,
    all_of,
    criteria_of,
    cursor_position,
    encode_position,
    erasure_scope,
    newest_of_all,
    visibility_clauses,
)
from shared import erasure_progress
from shared.mongo import Document, delete_matching, kept_out
from shared.stores import MongoCollection, document_of

__all__ = ["InvalidCursorError", "encode_cursor"]

REQUESTS = "request_views"

NEWEST_FIRST = [("received_at", DESCENDING), ("_id", DESCENDING)]
_VIEW_FIELDS = [
    f.name for f in fields(RequestView) if f.name not in {"request_id", "messages", "attachments"}
]


def encode_cursor(view: RequestView) -> str:
    return encode_position(view.received_at, view.request_id)


class MongoRequestReadModel(MongoCollection):
    """The read model; writes join the caller's transaction when given a session."""

    collection_name = REQUESTS

    async def was_erased(self, request_id: str) -> bool:
        return await erasure_progress.was_erased(
            self._collection.database, request_id, session=self._session
        )

    async def upsert(self, view: RequestView, *, organisation_derived: bool = False) -> None:
        document = document_of(view)
        document["organisation_derived"] = organisation_derived
        document["organisation_version"] = 1  # the decision announced on receipt
        document.pop("request_id")
        document.pop("messages")
        document["requester_email_normalised"] = (
            view.requester_email.strip().casefold() if view.requester_email else None
        )
        updated_at = document.pop("updated_at")
        await self._collection.update_one(
            {"_id": view.request_id},
            {"$set": document, "$max": {"updated_at": updated_at}},
            upsert=True,
            session=self._session,
        )

    async def add_message(self, request_id: str, message: MessageView) -> None:
        """Keep a message; one by a correspondent is named so their erasure finds it."""
        kept = await self._collection.update_one(
            {"_id": request_id, "messages.message_id": {"$ne": message.message_id}},
            {"$push": {"messages": document_of(message)}, "$max": {"updated_at": message.added_at}},
            session=self._session,
        )
        if message.correspondent_id is not None and kept.matched_count:
            await correspondence.remember(
                self._collection.database,
                message_id=message.message_id,
                request_id=request_id,
                correspondent_id=message.correspondent_id,
                session=self._session,
            )

    async def change_status(self, request_id: str, *, status: str, at: datetime) -> None:
        await self._collection.update_one(
            {"_id": request_id},
            {"$set": {"status": status}, "$max": {"updated_at": at}},
            session=self._session,
        )

    async def assign_organisation(
        self,
        *,
        organisation_id: str,
        email_normalised: str | None,
        contact_id: str,
        since: datetime,
        until: datetime | None,
    ) -> list[OrganisationDecision]:
        """Requests a representative filed since joining (and before leaving) that belong to no
        organisation yet become the organisation's (P5, P7)."""
        received: Document = {"$gte": since} if until is None else {"$gte": since, "$lt": until}
        return await self._decide(
            {"$or": _filed_by(contact_id, email_normalised), "organisation_id": None},
            received=received,
            organisation_id=organisation_id,
        )

    async def unassign_organisation(
        self,
        *,
        organisation_id: str,
        email_normalised: str | None,
        contact_id: str,
        since: datetime,
    ) -> list[OrganisationDecision]:
        """Requests filed after the representative left were never the organisation's."""
        return await self._decide(
            {
                "$or": _filed_by(contact_id, email_normalised),
                "organisation_id": organisation_id,
                "organisation_derived": True,
            },
            received={"$gte": since},
            organisation_id=None,
        )

    async def _decide(
        self, query: Document, *, received: Document, organisation_id: str | None
    ) -> list[OrganisationDecision]:
        """Give the matching requests this organisation (or none), each with its next version."""
        found = self._collection.find(
            {**query, "received_at": received}, {"requester_id": 1}, session=self._session
        )
        decisions = []
        for document in await found.to_list():
            changed = await self._collection.find_one_and_update(
                {"_id": document["_id"], "organisation_id": query["organisation_id"]},
                {
                    "$set": {
                        "organisation_id": organisation_id,
                        "organisation_derived": organisation_id is not None,
                        "lawful_basis": lawful_basis_for(organisation_id),
                    },
                    "$inc": {"organisation_version": 1},
                },
                projection={"organisation_version": 1},
                return_document=ReturnDocument.AFTER,
                session=self._session,
            )
            if changed is not None:
                decisions.append(
                    OrganisationDecision(
                        request_id=document["_id"],
                        requester_id=document["requester_id"],
                        organisation_id=organisation_id,
                        version=changed["organisation_version"],
                    )
                )
        return decisions

    async def get(self, request_id: str, *, visibility: Visibility) -> RequestView | None:
        """The request by its id (an index lookup), if the principal may read it."""
        found = await self._find_one({"_id": request_id})
        if found is None:
            return None
        view = _view_from(found)
        return view if ground_for(visibility, view) is not None else None

    async def page(
        self,
        *,
        visibility: Visibility,
        filters: RequestFilters,
        cursor: str | None,
        limit: int,
    ) -> list[RequestView]:
        """One page, newest first, of the requests the principal may read matching `filters`:
        one `$or` of their visibility clauses (and cursor parts); for support staff, one query
        per cursor part in windows of receipt time, merged (see read_queries)."""
        position = cursor_position(cursor) if cursor else None
        criteria = criteria_of(filters)
        queries = [
            all_of(clause, criteria, part)
            for clause in visibility_clauses(visibility)
            for part in after(position)
        ]

        async def newest(query: Document) -> list[Document]:
            found = self._collection.find(query, session=self._session)
            return await found.sort(NEWEST_FIRST).limit(limit).to_list()

        if not visibility.everything:
            # the store plans an `$or` of indexed alternatives: one round trip, faster than one
            # query per alternative merged here (python -m bench.probe_shapes)
            if not queries:
                return []
            found = await newest(queries[0] if len(queries) == 1 else {"$or": queries})
            return [_view_from(document) for document in found]

        found = await newest_of_all(
            queries, limit=limit, run=newest, side_by_side=self._session is None
        )
        return [_view_from(document) for document in found]

    async def request_ids(
        self,
        *,
        requester_ids: list[str] | None = None,
        organisation_id: str | None = None,
        request_id: str | None = None,
    ) -> list[tuple[str, str]]:
        """(request_id, requester_id) of the requests in an erasure scope."""
        query = erasure_scope(requester_ids, organisation_id, request_id)
        found = self._collection.find(query, {"requester_id": 1}, session=self._session)
        return [(d["_id"], d.get("requester_id", "")) for d in await found.to_list()]

    async def delete_scope(
        self,
        *,
        requester_ids: list[str] | None = None,
        organisation_id: str | None = None,
        request_id: str | None = None,
        keep: Sequence[str] = (),
    ) -> int:
        """Delete the copies in an erasure scope but the kept ones, by the scope's own indexed
        field rather than by listing ids (see `delete_matching`)."""
        if request_id in keep:
            return 0
        query = erasure_scope(requester_ids, organisation_id, request_id)
        return await delete_matching(self._collection, kept_out(query, keep))

    async def of_requester(self, contact_ids: list[str]) -> list[RequestView]:
        found = self._collection.find({"requester_id": {"$in": contact_ids}}, session=self._session)
        return [_view_from(document) for document in await found.to_list()]

    async def follow_statement(self, *, email_normalised: str, name: str, at: datetime) -> None:
        """P4: the name a customer last stated for its representative, on the requests filed
        from that address (as intake's contact follows it); an older statement read later,
        from another customer naming the same person, changes nothing."""
        await self._collection.update_many(
            {
                "requester_email_normalised": email_normalised,
                "requester_stated_at": {"$not": {"$gt": at}},
            },
            {"$set": {"requester_name": name, "requester_stated_at": at}},
            session=self._session,
        )

    async def rectify_requester(
        self, contact_ids: list[str], *, name: str, email: str, at: datetime
    ) -> int:
        """Replace the requester's name and email in the views of these contacts (P11), as
        the person stated them `at`; a customer's statement made after it, taken already
        because this was read late, keeps its name (a customer never states the email)."""
        filed = {"requester_id": {"$in": contact_ids}}
        address = {"requester_email": email, "requester_email_normalised": email.strip().casefold()}
        corrected = await self._collection.update_many(
            {**filed, "requester_stated_at": {"$not": {"$gt": at}}},
            {"$set": {"requester_name": name, **address}, "$max": {"requester_stated_at": at}},
            session=self._session,
        )
        restated = await self._collection.update_many(
            {**filed, "requester_stated_at": {"$gt": at}}, {"$set": address}, session=self._session
        )
        return corrected.matched_count + restated.matched_count

    async def restate_requester(
        self, request_id: str, *, name: str, email: str, at: datetime
    ) -> None:
        await self._collection.update_one(
            {"_id": request_id, "requester_stated_at": {"$not": {"$gt": at}}},
            {
                "$set": {
                    "requester_name": name,
                    "requester_email": email,
                    "requester_email_normalised": email.strip().casefold(),
                    "requester_stated_at": at,
                },
            },
            session=self._session,
        )


def _filed_by(contact_id: str, email_normalised: str | None) -> list[Document]:
    who: list[Document] = [{"requester_id": contact_id}]
    if email_normalised:
        who.append({"requester_email_normalised": email_normalised})
    return who


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[REQUESTS].create_index([("received_at", DESCENDING), ("_id", DESCENDING)])
    await database[REQUESTS].create_index("requester_id")
    await database[REQUESTS].create_index("requester_email_normalised")
    await database[REQUESTS].create_index("organisation_id")
    await audit_log.create_indexes(database)
    await correspondence.create_indexes(database)


def _view_from(document: Document) -> RequestView:
    values: dict[str, Any] = {name: document.get(name) for name in _VIEW_FIELDS}
    messages = tuple(
        MessageView(
            **{
                k: m.get(k)
                for k in ("message_id", "author_role", "added_at", "body", "correspondent_id")
            },
            attachments=_attachments(m),
        )
        for m in document.get("messages", [])
    )
    return RequestView(
        request_id=document["_id"],
        messages=messages,
        attachments=_attachments(document),
        **values,
    )


def _attachments(document: Document) -> tuple[AttachmentView, ...]:
    return tuple(AttachmentView(**found) for found in document.get("attachments") or ())
