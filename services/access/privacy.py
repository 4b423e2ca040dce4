"""access's part in the privacy protocol (P7, P8, P11): its holdings, for shared/participant.py
to erase, export and rectify. The read audit holds ids only and stays (it is the proof of who
read what)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Sequence, Set
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.access import correspondence
from services.access.account_store import ACCOUNTS, MAILBOX
from services.access.directory import GRANTS, ORGANISATIONS, REPRESENTATIVES
from services.access.domain import Representative
from services.access.ports import AccessUnitOfWork
from services.access.rectification import rectify
from services.access.repository import REQUESTS
from services.access.unit_of_work import MongoAccessUnitOfWork
from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptGround, KeptRecords
from shared.holdings import A_CUSTOMERS, ErasureNotes, Kept, owned_by, person_ids
from shared.mongo import Document, Transaction, delete_in, delete_matching, each_at_once, kept_out


class ExportedRequest(BaseModel):
    request_id: str
    reference: str
    channel: str
    status: str
    organisation_id: str | None
    lawful_basis: str
    received_at: datetime
    subject: str | None


class ExportedMembership(BaseModel):
    organisation_id: str
    member: bool | None
    official_contact: bool | None


class ExportedPicture(BaseModel):
    """The person's profile picture as access keeps it (re-encoded, without metadata)."""

    media_type: str
    content_base64: str


class AccessExport(BaseModel):
    """What access holds on one person: account, memberships, readable copies of requests."""

    model_config = ConfigDict(frozen=True)

    email: str | None
    account_created_at: datetime | None
    has_password: bool
    has_profile_picture: bool
    profile_picture: ExportedPicture | None
    contact_ids: list[str]
    memberships: list[ExportedMembership]
    requests: list[ExportedRequest]


def in_scope(scope: ErasureScope, *, field: str = "_id") -> Document | None:
    """The request views (or, with `field="request_id"`, the grants) an erasure covers, kept
    requests excluded; None if everything in scope is kept. A person's scope is the requests
    they filed under any of their data-subject ids (retention names the others)."""
    keep = list(scope.keep_request_ids)
    if scope.kind == "request":
        return None if scope.id in keep else {field: scope.id}
    return kept_out(owned_by(scope), keep, field)


class AccessHoldings:
    """access's copies of personal data: request views, share grants, organisations and their
    representatives, and accounts (with their queued mail)."""

    person_records = "accounts"

    def __init__(self, uow: MongoAccessUnitOfWork, tx: Transaction, *, now: datetime) -> None:
        """An erasure reads and deletes outside the handler's transaction, so each step sees
        the last (a transaction reads a snapshot from its start) and what it did is kept with
        its notes if the transaction is lost; exports and rectifications use the transaction."""
        database = tx.database
        self._uow = uow
        self._outside = uow.outside_transaction()
        self._views = database[REQUESTS]
        self._grants = database[GRANTS]
        self._representatives = database[REPRESENTATIVES]
        self._accounts = database[ACCOUNTS]
        self._mailbox = database[MAILBOX]
        self._organisations = database[ORGANISATIONS]
        self._now = now

    async def persons_in(self, scope: ErasureScope) -> set[str]:
        if scope.kind == "person":
            account = await self._outside.accounts.by_contact(scope.id)
            return {scope.id, *(account["contact_ids"] if account else [])}
        found: set[str] = set()
        views = in_scope(scope)
        if views is not None:
            found.update(str(r) for r in await self._views.distinct("requester_id", views))
        if scope.kind == "organisation":
            reps = await self._representatives.distinct("contact_id", {"organisation_id": scope.id})
            found.update(str(contact_id) for contact_id in reps)
        return found

    async def customers_requests(self, scope: ErasureScope) -> set[str]:
        query = {**owned_by(scope), **A_CUSTOMERS}
        return {str(r) for r in await self._views.distinct("_id", query)}

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        if scope.kind == "person":  # what they wrote on others' requests
            written = await correspondence.erase_written(
                self._views.database, person_ids(scope), scope
            )
            await notes.deleted("messages", written)
        views, grants = in_scope(scope), in_scope(scope, field="request_id")
        if views is not None and grants is not None:
            doomed = [str(d) for d in await self._views.distinct("_id", views)]
            await correspondence.forget_requests(self._views.database, doomed)
            deleted = await self._outside.grants.delete_for_requests(doomed)  # untagged grants
            deleted += await delete_matching(self._grants, grants)
            await notes.deleted("share_grants", deleted)
            await notes.deleted("request_views", await delete_matching(self._views, views))
        if scope.kind == "organisation":
            count, _ = await self._outside.directory.delete_organisation(scope.id, at=self._now)
            await notes.deleted("organisation_records", count)
        elif scope.kind == "person":  # the person's contacts, as noted when the erasure began
            _, linked = await notes.so_far()
            contacts = {scope.id, *linked} - set(scope.keep_data_subject_ids)
            await notes.persons_erased(contacts)  # a CRM statement may still be on its way
            await notes.deleted(
                "representatives",
                await self._outside.directory.delete_contacts(sorted({scope.id, *linked})),
            )

    async def release(
        self, persons: Sequence[str], scope: ErasureScope, *, held: Set[str], notes: ErasureNotes
    ) -> dict[str, Kept]:
        """An account goes with its person's erasure, or with their last request and their
        last customer membership (P7, P8), unless a hold names one of its contacts."""
        accounts = await self._accounts_of(persons)
        linked = {p: list(accounts[p]["contact_ids"]) if p in accounts else [p] for p in persons}
        grounds = await self._grounds(linked, scope, held=held)
        free = [p for p in persons if grounds[p] is None]
        # a registration still on its way creates no account
        await notes.persons_erased(c for p in free for c in linked[p])
        # read again after the marks: an account committed before them is found now, and one
        # being made waits for them (shared.erasure_progress)
        again = await self._accounts_of(free)
        for p in free:
            accounts.pop(p, None)
        accounts.update(again)
        grown = {
            p: list(account["contact_ids"])
            for p, account in again.items()
            if not set(account["contact_ids"]) <= set(linked[p])
        }
        grounds.update(await self._grounds(grown, scope, held=held))
        writers = [c for p in free if grounds[p] is None for c in linked[p]]
        if writers and scope.kind != "person":  # with their last request, what they wrote (P8)
            taken = await correspondence.erase_written(self._views.database, writers, scope)
            await notes.deleted("messages", taken)
        kept = {
            p: Kept(g, str(accounts[p]["_id"])) for p, g in grounds.items() if g and p in accounts
        }
        staying = {stays.record for stays in kept.values()}
        doomed = sorted({str(a["_id"]) for a in accounts.values()} - staying)
        if doomed:
            await notes.deleted("mails", await delete_in(self._mailbox, "account_id", doomed))
            await notes.deleted("accounts", await delete_in(self._accounts, "_id", doomed))
        return kept

    async def _accounts_of(self, persons: Sequence[str]) -> dict[str, Document]:
        """The account of each of these contacts that has one."""
        found = self._accounts.find({"contact_ids": {"$in": list(persons)}})
        wanted = set(persons)
        return {c: a async for a in found for c in a["contact_ids"] if c in wanted}

    async def _grounds(
        self, linked: dict[str, list[str]], scope: ErasureScope, *, held: Set[str]
    ) -> dict[str, KeptGround | None]:
        """Why the account of each person's linked contacts stays, if it does."""
        everyone = sorted({c for contacts in linked.values() for c in contacts})
        grounds: dict[str, KeptGround | None] = {p: None for p in linked}
        if scope.kind != "person" and everyone:
            requesting = await self._views.distinct(
                "requester_id", {"requester_id": {"$in": everyone}}
            )
            standing = self._representatives.find(
                {"contact_id": {"$in": everyone}},
                {"organisation_id": 1, "contact_id": 1, "member": 1, "official": 1},
            )
            members = [  # a membership that ended keeps nothing of theirs
                rep["contact_id"]
                async for rep in standing
                if Representative(
                    organisation_id=rep["organisation_id"],
                    contact_id=rep["contact_id"],
                    member=rep.get("member"),
                    official=rep.get("official"),
                ).is_member
            ]
            for person, contacts in linked.items():
                if set(contacts) & set(requesting):
                    grounds[person] = "other_requests"
                elif set(contacts) & set(members):
                    grounds[person] = "customer_membership"
        for person, contacts in linked.items():
            if set(contacts) & held:  # the person or another of their account's contacts
                grounds[person] = "legal_hold"
        return grounds

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        views, grants = in_scope(scope), in_scope(scope, field="request_id")
        released_ids = sorted(released)
        left = {"request_views": 0, "share_grants": 0}
        counting: dict[str, Awaitable[int]] = {
            "accounts": self._accounts.count_documents({"contact_ids": {"$in": released_ids}})
        }
        if views is not None:
            counting["request_views"] = self._views.count_documents(views)
        if grants is not None:
            counting["share_grants"] = self._grants.count_documents(grants)
        if scope.kind == "organisation":
            counting["organisations"] = self._organisations.count_documents(
                {"_id": scope.id, "erased_at": None}  # its id and erasure time stay (directory)
            )
            counting["organisation_records"] = self._representatives.count_documents(
                {"organisation_id": scope.id}
            )
        elif scope.kind == "person":
            counting["representatives"] = self._representatives.count_documents(
                {"contact_id": {"$in": released_ids}}
            )
        writers = person_ids(scope) if scope.kind == "person" else released_ids
        if writers:
            counting["messages"] = self._written_left(writers, scope)
        counted = await each_at_once(counting)
        if "organisations" in counted:  # the organisation's own record counts with its people
            counted["organisation_records"] += counted.pop("organisations")
        return {**left, **counted}

    async def _written_left(self, writers: list[str], scope: ErasureScope) -> int:
        written = await correspondence.written_by(self._views.database, writers, scope)
        return sum(len(messages) for messages in written.values())

    async def kept_alongside(
        self, scope: ErasureScope, *, released: set[str]
    ) -> tuple[KeptRecords, ...]:
        writers = person_ids(scope) if scope.kind == "person" else sorted(released)
        return await correspondence.kept_with_others(self._views.database, writers, scope)

    async def export(self, data_subject_id: str) -> AccessExport:
        return await holdings_of(data_subject_id, uow=self._uow)

    async def rectify(self, data_subject_id: str, details: ContactDetails, *, at: datetime) -> None:
        await rectify(data_subject_id, details, uow=self._uow, at=at)


def _picture(account: Document | None) -> ExportedPicture | None:
    picture = account.get("picture") if account else None
    if not picture:
        return None
    content = base64.b64encode(bytes(picture["data"])).decode()
    return ExportedPicture(media_type=picture["media_type"], content_base64=content)


async def holdings_of(person: str, *, uow: AccessUnitOfWork) -> AccessExport:
    """What access holds on the person: account, memberships, readable copies of requests."""
    account = await uow.accounts.by_contact(person)
    contact_ids = sorted({person, *(account["contact_ids"] if account else [])})
    reps = await uow.directory.representatives_of_contacts(contact_ids)
    views = await uow.requests.of_requester(contact_ids)
    return AccessExport(
        email=account["email_normalised"] if account else None,
        account_created_at=account["created_at"] if account else None,
        has_password=bool(account and account.get("password_hash")),
        has_profile_picture=bool(account and account.get("picture")),
        profile_picture=_picture(account),
        contact_ids=contact_ids,
        memberships=[
            ExportedMembership(
                organisation_id=r.organisation_id, member=r.member, official_contact=r.official
            )
            for r in reps
        ],
        requests=[
            ExportedRequest(
                request_id=v.request_id,
                reference=v.reference,
                channel=v.channel,
                status=v.status,
                organisation_id=v.organisation_id,
                lawful_basis=v.lawful_basis,
                received_at=v.received_at,
                subject=v.subject,
            )
            for v in views
        ],
    )
