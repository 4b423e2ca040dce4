"""What a correspondent wrote on other people's requests (P11): someone other than the
requester, a contact of ours, who wrote on a request's thread by mail (copied in, or
replying). Their messages live in the requests' views; `correspondence` names which are theirs,
so that their erasure finds them without reading every view.

Their erasure takes them out of the views, except on a customer's request (the organisation's
records, P7), on a held request, and on a held person's: the rule of
`shared.correspondence.kept_with_another`, which intake's `written_by` puts as a query. So does
the purge of their last request (P8).
"""

from __future__ import annotations

from collections.abc import Sequence

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from shared.correspondence import kept_records, kept_with_another
from shared.events.privacy import ErasureScope, KeptGround, KeptRecords
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


async def _sorted_out(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> list[tuple[str, list[str], KeptGround | None]]:
    """These persons' messages in other people's request views, by request, each request with
    why what they wrote on it stays (`kept_with_another`), or None if it goes."""
    if not persons:
        return []
    named = database[CORRESPONDENCE].find(
        {"correspondent_id": {"$in": list(persons)}}, {"request_id": 1}
    )
    by_request: dict[str, list[str]] = {}
    async for found in named:
        by_request.setdefault(str(found["request_id"]), []).append(str(found["_id"]))
    if not by_request:
        return []
    views = database[VIEWS].find(
        {"_id": {"$in": sorted(by_request)}}, {"requester_id": 1, "organisation_id": 1}
    )
    return [
        (view["_id"], by_request[view["_id"]], kept_with_another(scope, view["_id"], view))
        async for view in views
    ]


async def written_by(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> dict[str, list[str]]:
    """The messages of these persons that go with them (their own erasure, or their last
    request, P8) from other people's requests, by request."""
    found = await _sorted_out(database, persons, scope)
    return {request_id: messages for request_id, messages, ground in found if ground is None}


async def kept_with_others(
    database: AsyncDatabase[Document], persons: Sequence[str], scope: ErasureScope
) -> tuple[KeptRecords, ...]:
    """These persons' messages that stay in other people's request views, by ground."""
    found = await _sorted_out(database, persons, scope)
    return kept_records("messages", (g for _, messages, g in found for _ in messages))


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
