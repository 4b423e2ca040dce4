"""surveys' MongoDB store of responses: one per invitation, the comment kept sealed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pymongo.errors import DuplicateKeyError

from services.surveys.responses import AlreadyAnsweredError, RecordedResponse
from shared.crypto import SealedPersonalData
from shared.mongo import Document
from shared.stores import MongoCollection

RESPONSES = "responses"


class MongoResponses(MongoCollection):
    collection_name = RESPONSES

    async def add(self, response: RecordedResponse) -> None:
        document = asdict(response)
        document["_id"] = document.pop("invitation_id")
        document["comment"] = response.comment.model_dump() if response.comment else None
        try:
            await self._insert(document)
        except DuplicateKeyError:
            raise AlreadyAnsweredError(response.invitation_id) from None

    async def exists(self, invitation_id: str) -> bool:
        found = await self._find_one({"_id": invitation_id})
        return found is not None

    async def between(self, *, since: datetime, until: datetime) -> list[RecordedResponse]:
        query = {"responded_at": {"$gte": since, "$lte": until}}
        return [_response(d) async for d in self._collection.find(query, session=self._session)]

    async def for_subject(self, requester_id: str) -> list[RecordedResponse]:
        cursor = self._collection.find({"requester_id": requester_id}, session=self._session)
        return [_response(found) async for found in cursor]


def _response(document: Document) -> RecordedResponse:
    comment = document.get("comment")
    return RecordedResponse(
        invitation_id=document["_id"],
        request_id=document["request_id"],
        requester_id=document["requester_id"],
        channel=document["channel"],
        organisation_id=document.get("organisation_id"),
        score=document["score"],
        responded_at=document["responded_at"],
        comment=SealedPersonalData.model_validate(comment) if comment else None,
    )
