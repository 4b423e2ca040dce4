"""surveys' part in the privacy protocol (P7, P8, P9, P11): its holdings, for
shared/participant.py to erase, export and rectify. Opt-outs and the erased-subjects set are
keyed hashes, kept for good: an opt-out is honoured forever, and nobody erased is surveyed."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence, Set
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pymongo import UpdateOne

from services.surveys.domain import SurveyKeys, response_key_id
from services.surveys.handlers import InvitationAddress, PurgeMissed
from services.surveys.repository import (
    CANDIDATES,
    CONTACTS,
    ERASED,
    INVITATIONS,
    RESPONSES,
    MongoSurveysUnitOfWork,
)
from shared import erasure_progress
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, seal, unseal
from shared.erasure_progress import ERASED_REQUESTS
from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptRecords
from shared.events.surveys import ResponseComment
from shared.holdings import A_CUSTOMERS, ErasureNotes, Kept, owned_by
from shared.mongo import Document, delete_in, delete_matching, each_at_once, kept_out
from shared.person_links import MongoPersonLinks


class ExportedInvitation(BaseModel):
    request_id: str
    state: str
    reason: str
    resolved_at: datetime
    due_at: datetime | None
    sent_at: datetime | None


class ExportedResponse(BaseModel):
    request_id: str
    score: int
    comment: str | None
    responded_at: datetime


class SurveysExport(BaseModel):
    """Everything surveys holds on one person, machine-readable."""

    model_config = ConfigDict(frozen=True)

    registered: bool
    email: str | None
    organisation_ids: list[str]
    opted_out: bool
    invitations: list[ExportedInvitation]
    responses: list[ExportedResponse]


async def holdings_of(
    subject: str, *, uow: MongoSurveysUnitOfWork, keys: KeyStore
) -> SurveysExport:
    """Everything surveys holds on the person: registration, invitations, responses."""
    contact = await uow.contacts.get(subject)
    sealed_address = await uow.contacts.address(subject)
    address = await unseal(sealed_address, InvitationAddress, keys=keys) if sealed_address else None
    return SurveysExport(
        registered=contact is not None,
        email=str(address.email) if address else None,
        organisation_ids=list(contact.organisation_ids) if contact else [],
        opted_out=contact is not None and await uow.opt_outs.contains(contact.opt_out_key),
        invitations=[
            ExportedInvitation(
                request_id=i.request_id,
                state=i.state,
                reason=i.reason,
                resolved_at=i.resolved_at,
                due_at=i.due_at,
                sent_at=i.sent_at,
            )
            for i in await uow.invitations.for_subject(subject)
        ],
        responses=[
            ExportedResponse(
                request_id=r.request_id,
                score=r.score,
                comment=await _comment(r.comment, keys=keys),
                responded_at=r.responded_at,
            )
            for r in await uow.responses.for_subject(subject)
        ],
    )


async def rectify(
    subject: str,
    details: ContactDetails,
    *,
    uow: MongoSurveysUnitOfWork,
    keys: KeyStore,
    secrets: SurveyKeys,
    at: datetime,
) -> None:
    """Replace a person's sealed address and opt-out hash; an opt-out follows the new address."""
    contact = await uow.contacts.get(subject)
    if contact is None:  # not registered here: surveys keeps nothing to correct
        return
    opt_out_key = secrets.opt_out_key(str(details.email))
    if await uow.opt_outs.contains(contact.opt_out_key):
        await uow.opt_outs.add(opt_out_key, at=at)
    address = await seal(InvitationAddress(email=details.email), data_subject_id=subject, keys=keys)
    await uow.rectify_contact(subject, address=address, opt_out_key=opt_out_key)


async def _comment(sealed: SealedPersonalData | None, *, keys: KeyStore) -> str | None:
    if sealed is None:
        return None
    opened = await unseal(sealed, ResponseComment, keys=keys)
    return opened.comment if opened else None


SCOPED = ((CANDIDATES, "requests"), (INVITATIONS, "invitations"), (RESPONSES, "responses"))


def in_scope(scope: ErasureScope, *, request_field: str) -> Document | None:
    """The documents (whose request id is `request_field`) an erasure covers, kept requests
    excluded; None if everything in scope is kept."""
    keep = list(scope.keep_request_ids)
    if scope.kind == "request":
        return None if scope.id in keep else {request_field: scope.id}
    return kept_out(owned_by(scope), keep, request_field)


def _request_field(name: str) -> str:
    return "_id" if name == CANDIDATES else "request_id"


def purge_missed(uow: MongoSurveysUnitOfWork, *, keys: KeyStore, clock: Clock) -> PurgeMissed:
    """P7: a request access found its organisation's before surveys purged the organisation,
    the decision arriving after the purge (the topics between are consumed at their own pace):
    the purge, which went by the organisation's tag, missed it. Its copies go now, in the
    handler's transaction, and it is remembered as erased (its later events make nothing)."""

    async def erase(request_id: str, organisation_id: str, decided_at: datetime) -> bool:
        database, session = uow.tx.database, uow.tx.session
        purged_at = await erasure_progress.erased_at(
            database, organisation_id=organisation_id, session=session
        )
        if purged_at is None or decided_at > purged_at:
            return False
        await erasure_progress.mark(
            database[ERASED_REQUESTS],
            request_id,
            field="erased_at",
            at=clock.now(),
            session=session,
        )
        commented = database[RESPONSES].find(
            {"request_id": request_id, "comment": {"$ne": None}}, {"_id": 1}, session=session
        )
        await keys.shred_many([response_key_id(str(r["_id"])) async for r in commented])
        for name, _ in SCOPED:
            await database[name].delete_many({_request_field(name): request_id}, session=session)
        return True

    return erase


class SurveysHoldings:
    """surveys' copies of personal data: candidates (ids), invitations, responses (comments
    sealed) and registrations (the sealed address)."""

    person_records = "contacts"

    def __init__(
        self, uow: MongoSurveysUnitOfWork, *, keys: KeyStore, secrets: SurveyKeys, clock: Clock
    ) -> None:
        self._uow = uow
        self._database = uow.database
        self._keys = keys
        self._secrets = secrets
        self._clock = clock

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        if scope.kind == "person":
            return {scope.id}
        found: set[str] = set()
        for name, _ in SCOPED:
            query = in_scope(scope, request_field=_request_field(name))
            if query is not None:
                found.update(
                    str(r) for r in await self._database[name].distinct("requester_id", query)
                )
        if scope.kind == "organisation":
            tagged = self._database[CONTACTS].find({"organisation_ids": scope.id}, {"_id": 1})
            found.update([str(contact["_id"]) async for contact in tagged])
        return found

    async def customers_requests(self, scope: ErasureScope) -> set[str]:
        query = {**owned_by(scope), **A_CUSTOMERS}
        return {str(r) for r in await self._database[CANDIDATES].distinct("_id", query)}

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        for name, kind in SCOPED:
            query = in_scope(scope, request_field=_request_field(name))
            if query is None:
                continue
            if name == RESPONSES:  # a comment's key goes with its response
                commented = {**query, "comment": {"$ne": None}}
                found = self._database[name].find(commented, {"_id": 1})
                await self._keys.shred_many([response_key_id(str(r["_id"])) async for r in found])
            await notes.deleted(kind, await delete_matching(self._database[name], query))

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        """A registration goes with the person's erasure (who is then never surveyed), or with
        their last request (P8), unless a hold names them."""
        contacts = self._database[CONTACTS]
        registered = set(await contacts.distinct("_id", {"_id": {"$in": list(persons)}}))
        kept = {p: Kept("legal_hold", p) for p in persons if p in held and p in registered}
        rest = [p for p in persons if p not in held]
        left: dict[str, set[str]] = {}  # the organisations of each person's other requests
        if scope.kind != "person" and rest:
            others = self._database[CANDIDATES].find(
                {"requester_id": {"$in": rest}}, {"requester_id": 1, "organisation_id": 1}
            )
            async for candidate in others:
                organisation = candidate.get("organisation_id")
                left.setdefault(candidate["requester_id"], set()).update(
                    [organisation] if organisation else []
                )
        free = [p for p in rest if p not in left]
        if free:  # erased: never surveyed, nor registered by a late event
            await self._forget(free)
            linked = await MongoPersonLinks(self._database).release(free)
            if linked:  # they leave their person's links; the person's other ids stay linked
                await notes.deleted("person_links", linked)
            # deleted after the marks: a registration committed before them is found now, and
            # one being made waits for them (MongoKeyedSet.contains with hold)
            deleted = await delete_in(contacts, "_id", free)
            if deleted:
                await notes.deleted("contacts", deleted)
        staying = sorted(p for p in left if p in registered)
        if staying:  # the organisations of what is left
            await contacts.bulk_write(
                [
                    UpdateOne({"_id": p}, {"$set": {"organisation_ids": sorted(left[p])}})
                    for p in staying
                ],
                ordered=False,
            )
        return {**kept, **{p: Kept("other_requests", p) for p in staying}}

    async def _forget(self, persons: list[str]) -> None:
        """Note the persons erased (keyed hashes), outside the transaction like the deletes."""
        await erasure_progress.mark_all(
            self._database[ERASED],
            [self._secrets.erased_key(person) for person in persons],
            field="added_at",
            at=self._clock.now(),
        )

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        left: dict[str, int] = {}
        counting: dict[str, Awaitable[int]] = {}
        for name, kind in SCOPED:
            query = in_scope(scope, request_field=_request_field(name))
            left[kind] = 0
            if query is not None:
                counting[kind] = self._database[name].count_documents(query)
        counting["contacts"] = self._database[CONTACTS].count_documents(
            {"_id": {"$in": sorted(released)}}
        )
        counting["person_links"] = MongoPersonLinks(self._database).count_of(sorted(released))
        return {**left, **await each_at_once(counting)}

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        return ()  # nothing of a person's is kept with another's here

    async def export(self, data_subject_id: str) -> SurveysExport:
        return await holdings_of(data_subject_id, uow=self._uow, keys=self._keys)

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        await rectify(
            data_subject_id,
            details,
            uow=self._uow,
            keys=self._keys,
            secrets=self._secrets,
            at=self._clock.now(),
        )
