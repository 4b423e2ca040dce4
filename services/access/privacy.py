"""access's part in the privacy protocol (P7, P8, P11): its holdings, for shared/participant.py
to erase, export and rectify. The read audit holds ids only and stays (it is the proof of who
read what)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from services.access.account_store import ACCOUNTS, MAILBOX
from services.access.directory import GRANTS, ORGANISATIONS, REPRESENTATIVES
from services.access.domain import normalise_email
from services.access.ports import AccessUnitOfWork
from services.access.repository import REQUESTS
from services.access.unit_of_work import MongoAccessUnitOfWork
from shared.events.intake import ContactDetails
from shared.events.privacy import ErasureScope, KeptGround
from shared.mongo import Document, Transaction, delete_matching, kept_out
from shared.participant import ErasureNotes, Kept


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


class AccessExport(BaseModel):
    """What access holds on one person: account, memberships, readable copies of requests."""

    model_config = ConfigDict(frozen=True)

    email: str | None
    account_created_at: datetime | None
    has_password: bool
    has_profile_picture: bool
    contact_ids: list[str]
    memberships: list[ExportedMembership]
    requests: list[ExportedRequest]


def in_scope(scope: ErasureScope, *, field: str = "_id") -> Document | None:
    """The request views (or, with `field="request_id"`, the grants) an erasure covers, kept
    requests excluded; None if everything in scope is kept. A person's scope is the requests
    they filed under this data subject id (their other ids are other subjects)."""
    keep = list(scope.keep_request_ids)
    if scope.kind == "request":
        return None if scope.id in keep else {field: scope.id}
    key = "organisation_id" if scope.kind == "organisation" else "requester_id"
    return kept_out({key: scope.id}, keep, field)


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

    async def delete(self, scope: ErasureScope, *, notes: ErasureNotes) -> None:
        views, grants = in_scope(scope), in_scope(scope, field="request_id")
        if views is not None and grants is not None:
            doomed = [str(d) for d in await self._views.distinct("_id", views)]
            deleted = await self._outside.grants.delete_for_requests(doomed)  # untagged grants
            deleted += await delete_matching(self._grants, grants)
            await notes.deleted("share_grants", deleted)
            await notes.deleted("request_views", await delete_matching(self._views, views))
        if scope.kind == "organisation":
            count, _ = await self._outside.directory.delete_organisation(scope.id, at=self._now)
            await notes.deleted("organisation_records", count)
        elif scope.kind == "person":
            linked = sorted(await self.persons_in(scope))
            await notes.deleted(
                "representatives", await self._uow.directory.delete_contacts(linked)
            )

    async def release(
        self, person: str, scope: ErasureScope, *, held: bool, notes: ErasureNotes
    ) -> Kept | None:
        """An account goes with its person's erasure, or with their last request and their
        last customer membership (P7, P8), unless a hold names one of its contacts."""
        account = await self._outside.accounts.by_contact(person)
        linked = list(account["contact_ids"]) if account else [person]
        ground = await self._ground(linked, scope, held=held)
        if ground is None:
            for contact_id in linked:  # a registration still on its way creates no account
                await notes.person_erased(contact_id)
            # read again after the mark: an account committed before it is found now, and one
            # being made waits for it (shared.erasure_progress)
            account = await self._outside.accounts.by_contact(person)
            if account is not None and not set(account["contact_ids"]) <= set(linked):
                ground = await self._ground(list(account["contact_ids"]), scope, held=held)
        if account is None:
            return None
        if ground is None:
            mails = await delete_matching(self._mailbox, {"account_id": account["_id"]})
            await notes.deleted("mails", mails)
            gone = await self._accounts.delete_one({"_id": account["_id"]})
            await notes.deleted("accounts", gone.deleted_count)
            return None
        return Kept(ground, str(account["_id"]))

    async def _ground(
        self, linked: list[str], scope: ErasureScope, *, held: bool
    ) -> KeptGround | None:
        """Why the account of these contacts stays, if it does."""
        if held or set(linked) & set(scope.keep_data_subject_ids):
            return "legal_hold"
        if scope.kind == "person":
            return None
        if await self._views.count_documents({"requester_id": {"$in": linked}}, limit=1):
            return "other_requests"
        if await self._representatives.count_documents({"contact_id": {"$in": linked}}, limit=1):
            return "customer_membership"
        return None

    async def remaining(self, scope: ErasureScope, *, released: set[str]) -> dict[str, int]:
        views, grants = in_scope(scope), in_scope(scope, field="request_id")
        released_ids = sorted(released)
        left = {
            "request_views": 0 if views is None else await self._views.count_documents(views),
            "share_grants": 0 if grants is None else await self._grants.count_documents(grants),
            "accounts": await self._accounts.count_documents(
                {"contact_ids": {"$in": released_ids}}
            ),
        }
        if scope.kind == "organisation":
            left["organisation_records"] = await self._organisations.count_documents(
                {"_id": scope.id, "erased_at": None}  # its id and erasure time stay (directory)
            ) + await self._representatives.count_documents({"organisation_id": scope.id})
        elif scope.kind == "person":
            left["representatives"] = await self._representatives.count_documents(
                {"contact_id": {"$in": released_ids}}
            )
        return left

    async def export(self, data_subject_id: str) -> AccessExport:
        return await holdings_of(data_subject_id, uow=self._uow)

    async def rectify(self, data_subject_id: str, details: ContactDetails) -> None:
        await rectify(data_subject_id, details, uow=self._uow)


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


async def rectify(person: str, details: ContactDetails, *, uow: AccessUnitOfWork) -> None:
    """Replace the person's name and email in request views, memberships and account login."""
    email = str(details.email)
    email_normalised = normalise_email(email)
    account = await uow.accounts.by_contact(person)
    contact_ids = sorted({person, *(account["contact_ids"] if account else [])})
    old = [account["email_normalised"]] if account and account.get("email_normalised") else []
    await uow.directory.serialise(
        [*(f"contact:{c}" for c in contact_ids), f"email:{email_normalised}"]
        + [f"email:{e}" for e in old]
    )
    await uow.requests.rectify_requester(contact_ids, name=details.full_name, email=email)
    await uow.directory.rectify_email(contact_ids, email_normalised)
    if account is None or account["email_normalised"] == email_normalised:
        return
    holder = await uow.accounts.by_email(email_normalised)
    if holder is not None and holder["_id"] != account["_id"]:
        return  # the corrected address is another account's login (P3: one per email)
    # only the login email changes: the password hash stays
    await uow.accounts.update(account["_id"], {"email_normalised": email_normalised})
    await uow.mailbox.readdress(account["_id"], email)
