"""surveys' part in the privacy protocol (P7, P8, P9, P11): its holdings, for
shared/participant.py to erase, export and rectify. Opt-outs and the erased-subjects set are
keyed hashes, kept for good: an opt-out is honoured forever, and nobody erased is surveyed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.surveys.domain import SurveyKeys
from services.surveys.handlers import InvitationAddress
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
from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptGround
from shared.events.surveys import ResponseComment
from shared.mongo import Document, delete_matching, kept_out
from shared.participant import ErasureNotes, Kept


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
    key = "organisation_id" if scope.kind == "organisation" else "requester_id"
    return kept_out({key: scope.id}, keep, request_field)


def _request_field(name: str) -> str:
    return "_id" if name == CANDIDATES else "request_id"


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

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        for name, kind in SCOPED:
            query = in_scope(scope, request_field=_request_field(name))
            if query is not None:
                await notes.deleted(kind, await delete_matching(self._database[name], query))

    async def release(
        self, person: str, scope: ErasureScope, *, held: bool, notes: ErasureNotes
    ) -> Kept | None:
        """A registration goes with the person's erasure (who is then never surveyed), or with
        their last request (P8), unless a hold names them."""
        registered = await self._database[CONTACTS].find_one({"_id": person}) is not None
        if held:
            return Kept("legal_hold", person) if registered else None
        ground: KeptGround | None = None
        if scope.kind != "person":
            left = await self._database[CANDIDATES].count_documents({"requester_id": person})
            ground = "other_requests" if left else None
        if ground is None:  # erased: never surveyed, nor registered by a late event
            await self._forget(person)
            # deleted after the mark: a registration committed before it is found now, and one
            # being made waits for it (MongoKeyedSet.contains with hold)
            deleted = await self._database[CONTACTS].delete_one({"_id": person})
            if deleted.deleted_count:
                await notes.deleted("contacts", deleted.deleted_count)
            return None
        if not registered:
            return None
        organisations = await self._database[CANDIDATES].distinct(
            "organisation_id", {"requester_id": person}
        )
        await self._database[CONTACTS].update_one(  # the organisations of what is left
            {"_id": person}, {"$set": {"organisation_ids": sorted(o for o in organisations if o)}}
        )
        return Kept(ground, person)

    async def _forget(self, person: str) -> None:
        """Note the person erased (a keyed hash), outside the transaction like the deletes."""
        await erasure_progress.mark(
            self._database[ERASED],
            self._secrets.erased_key(person),
            field="added_at",
            at=self._clock.now(),
        )

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        left: dict[str, int] = {}
        for name, kind in SCOPED:
            query = in_scope(scope, request_field=_request_field(name))
            left[kind] = 0 if query is None else await self._database[name].count_documents(query)
        left["contacts"] = await self._database[CONTACTS].count_documents(
            {"_id": {"$in": sorted(released)}}
        )
        return left

    async def export(self, data_subject_id: str) -> SurveysExport:
        return await holdings_of(data_subject_id, uow=self._uow, keys=self._keys)

    async def rectify(self, data_subject_id: str, details: ContactDetails) -> None:
        await rectify(
            data_subject_id,
            details,
            uow=self._uow,
            keys=self._keys,
            secrets=self._secrets,
            at=self._clock.now(),
        )
