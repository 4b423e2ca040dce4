"""access's part in P11: erase its copies in scope, export what it holds, apply rectifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from services.access.domain import normalise_email
from services.access.ports import AccessUnitOfWork
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, seal, unseal
from shared.events import CloudEvent
from shared.events.intake import ContactDetails
from shared.events.privacy import (
    ErasureCompleted,
    ErasureRequested,
    ExportContributed,
    ExportRequested,
    RectificationRequested,
)

SOURCE = "/support/access"


class ExportedRequest(BaseModel):
    request_id: str
    reference: str
    channel: str
    status: str
    organisation_id: str | None
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


async def erase(event: CloudEvent, *, uow: AccessUnitOfWork, clock: Clock) -> None:
    """Delete accounts, representatives, read-model copies and grants in scope; report counts.
    The read audit holds ids only and stays (it is the proof of who read what)."""
    requested = ErasureRequested.from_event(event)
    scope = requested.scope
    progress = uow.erasure_progress(requested.erasure_id, now=clock.now())
    counts: dict[str, int] = {}
    subjects: set[str] = set()
    where: dict[str, Any]
    if scope.kind == "person":
        account = await uow.accounts.by_contact(scope.id)
        contact_ids = sorted({scope.id, *(account["contact_ids"] if account else [])})
        where = {"requester_ids": contact_ids}
        in_scope = await uow.requests.request_ids(**where)
        deleted_accounts = await uow.accounts.delete_for_contacts(contact_ids)
        counts["accounts"] = len(deleted_accounts)
        counts["mails"] = await uow.mailbox.delete_for_accounts(
            [a["_id"] for a in deleted_accounts]
        )
        counts["representatives"] = await uow.directory.delete_contacts(contact_ids)
        subjects.update(contact_ids)
    elif scope.kind == "organisation":
        where = {"organisation_id": scope.id}
        in_scope = await uow.requests.request_ids(**where)
        counts["organisation_records"], contact_ids = await uow.directory.delete_organisation(
            scope.id
        )
        subjects.update(contact_ids)
    else:
        where = {"request_id": scope.id}
        in_scope = await uow.requests.request_ids(**where)
    kept = set(scope.keep_request_ids)
    doomed = [request_id for request_id, _ in in_scope if request_id not in kept]
    await progress.subjects_found(r for request_id, r in in_scope if request_id not in kept)
    # outside the transaction, so noted as they go: a redo reports the whole (ErasureProgress)
    await progress.deleted(
        "request_views", await uow.requests.delete_scope(keep=sorted(kept), **where)
    )
    await progress.deleted("share_grants", await uow.grants.delete_for_requests(doomed))
    deleted, found = await progress.so_far()
    counts.update(deleted)
    subjects.update(found)
    now = clock.now()
    completed = ErasureCompleted(
        erasure_id=requested.erasure_id,
        participant="access",
        completed_at=now,
        counts=counts,
        data_subject_ids=tuple(sorted(s for s in subjects if s)),
    )
    await uow.publish(
        topics.PRIVACY_ERASURE,
        CloudEvent.of(
            source=SOURCE,
            type=ErasureCompleted.event_type,
            subject=requested.erasure_id,
            time=now,
            data=completed,
        ),
    )


async def export(event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore, clock: Clock) -> None:
    """Contribute what access holds on the person, sealed with their key."""
    requested = ExportRequested.from_event(event)
    person = requested.data_subject_id
    account = await uow.accounts.by_contact(person)
    contact_ids = sorted({person, *(account["contact_ids"] if account else [])})
    reps = await uow.directory.representatives_of_contacts(contact_ids)
    views = await uow.requests.of_requester(contact_ids)
    held = AccessExport(
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
                received_at=v.received_at,
                subject=v.subject,
            )
            for v in views
        ],
    )
    now = clock.now()
    contributed = ExportContributed(
        export_id=requested.export_id,
        participant="access",
        contributed_at=now,
        records=await seal(held, data_subject_id=person, keys=keys),
    )
    await uow.publish(
        topics.PRIVACY_DSR,
        CloudEvent.of(
            source=SOURCE,
            type=ExportContributed.event_type,
            subject=requested.export_id,
            time=now,
            data=contributed,
        ),
    )


async def rectify(event: CloudEvent, *, uow: AccessUnitOfWork, keys: KeyStore) -> None:
    """Replace the person's name and email in request views, memberships and account login."""
    requested = RectificationRequested.from_event(event)
    person = requested.data_subject_id
    details = await unseal(requested.details, ContactDetails, keys=keys)
    if details is None:
        return  # the person was erased: nothing left to correct
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
