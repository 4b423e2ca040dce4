"""What a correspondent wrote on other people's requests (P11): someone other than the
requester, a contact of ours, who wrote on a request's thread by mail (copied in, or
replying). Their messages live in the requests' views; `correspondence` names which are theirs,
so that their erasure finds them without reading every view.

Their erasure takes them out of the views, except on a customer's request (the organisation's
records, P7), on a request the scope keeps, and on a held person's: the same rule as intake's
(`services.intake.privacy.correspondence_in`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.correspondence import kept_records, kept_with_another
from shared.events.privacy import ErasureScope, KeptRecords
from shared.mongo import Document, delete_in

CORRESPONDENCE = "correspondence"
VIEWS = "request_views"


async def remember(
    database: AsyncDatabase[Document],
    *,
    message_id: str,
    request_id: str,
    correspondent_id: str,
    session: AsyncClientSession | None,
) -> None:
    """Name the correspondent of a message (a redelivery changes nothing)."""
    await database[CORRESPONDENCE].update_one(
        {"_id": message_id},
        {"$setOnInsert": {"request_id": request_id, "correspondent_id": correspondent_id}},
        upsert=True,
        session=session,
    )


async def written_by(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> dict[str, list[str]]:
    """The messages of these persons that go with them (their own erasure, or their last
    request, P8) from other people's requests, by request."""
    if not persons:
        return {}
    named = database[CORRESPONDENCE].find(
        {"correspondent_id": {"$in": list(persons)}}, {"request_id": 1}
    )
    by_request: dict[str, list[str]] = {}
    async for found in named:
        by_request.setdefault(str(found["request_id"]), []).append(str(found["_id"]))
    candidates = sorted(set(by_request) - set(scope.keep_request_ids))
    if not candidates:
        return {}
    eligible: Document = {
        "_id": {"$in": candidates},
        "organisation_id": None,
        "requester_id": {"$nin": list(scope.keep_data_subject_ids)},
    }
    taken = await database[VIEWS].distinct("_id", eligible)
    return {str(r): by_request[str(r)] for r in taken}


async def kept_with_others(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> tuple[KeptRecords, ...]:
    """The person's messages that stay in other people's request views, by ground."""
    if not persons:
        return ()
    named = database[CORRESPONDENCE].find(
        {"correspondent_id": {"$in": list(persons)}}, {"request_id": 1}
    )
    per_request = Counter([str(found["request_id"]) async for found in named])
    if not per_request:
        return ()
    views = database[VIEWS].find(
        {"_id": {"$in": sorted(per_request)}}, {"requester_id": 1, "organisation_id": 1}
    )
    grounds = [
        kept_with_another(scope, view["_id"], view)
        async for view in views
        for _ in range(per_request[view["_id"]])
    ]
    return kept_records("messages", grounds)


async def erase_written(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> int:
    """Take these persons' messages out of other people's request views; how many."""
    written = await written_by(database, persons, scope)
    messages = [m for ids in written.values() for m in ids]
    if not messages:
        return 0
    await database[VIEWS].update_many(
        {"_id": {"$in": sorted(written)}},
        {"$pull": {"messages": {"message_id": {"$in": messages}}}},
    )
    return await delete_in(database[CORRESPONDENCE], "_id", messages)


async def forget_requests(database: AsyncDatabase[Document], request_ids: list[str]) -> None:
    """The names of the correspondents of erased requests (ids only) go with them. Mostly
    nobody wrote on anyone else's request: one look, not a delete per chunk of a purge's ids."""
    named = database[CORRESPONDENCE]
    if request_ids and await named.find_one({}, {"_id": 1}) is not None:
        await delete_in(named, "request_id", request_ids)


async def create_indexes(database: AsyncDatabase[Document]) -> None:
    await database[CORRESPONDENCE].create_index("correspondent_id")
    await database[CORRESPONDENCE].create_index("request_id")
