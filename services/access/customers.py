"""Customer organisations and their representatives from the CRM (P4), in any arrival order.

Each fact (membership, official contact, contract state) keeps the latest statement by the time
the CRM gives; an older statement arriving late changes nothing. So a contact event before its
contract, or a revocation before its appointment, ends in the same state as in order. A
statement dated before the organisation's purge (P7), or before the erasure of the contact it
names (P11), is older news too, however late it arrives: it re-creates no membership, account
or mail.
"""

from __future__ import annotations

from datetime import datetime

from services.access.accounts import AccountPolicy, ensure_account
from services.access.domain import Representative, normalise_email, with_membership, with_official
from services.access.handlers import publish_decisions
from services.access.ports import AccessUnitOfWork
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, unseal
from shared.events import CloudEvent
from shared.events.crm import (
    ContactLeftOrganization,
    ContactUpserted,
    ContractReinstated,
    ContractSigned,
    ContractTerminated,
    OfficialContactAppointed,
    OfficialContactRevoked,
)
from shared.events.intake import ContactDetails


async def contract_signed(
    event: CloudEvent,
    *,
    uow: AccessUnitOfWork,
    keys: KeyStore,
    policy: AccountPolicy,
    clock: Clock,
) -> None:
    """A new customer: its contract, and the order form's contacts as representatives."""
    signed = ContractSigned.from_event(event)
    if await older_than_an_erasure(uow, signed.organisation_id, at=signed.signed_at):
        return
    await _contract_state(
        uow, signed.organisation_id, status="signed", at=signed.signed_at, name=signed.name
    )
    for contact in signed.contacts:
        if await older_than_an_erasure(
            uow, signed.organisation_id, contact.contact_id, at=signed.signed_at
        ):
            continue
        await _representative_joined(
            uow,
            organisation_id=signed.organisation_id,
            contact_id=contact.contact_id,
            details=contact.details,
            at=signed.signed_at,
            keys=keys,
            policy=policy,
            now=clock.now(),
        )
        rep = await uow.directory.representative(
            organisation_id=signed.organisation_id, contact_id=contact.contact_id
        )
        official = contact.contact_id == signed.official_contact_id
        await uow.directory.save_representative(
            with_official(rep, official=official, at=signed.signed_at)
        )


async def contract_terminated(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    terminated = ContractTerminated.from_event(event)
    await _contract_state(
        uow,
        terminated.organisation_id,
        status="terminated",
        at=terminated.terminated_at,
        termination_date=terminated.termination_date.isoformat(),
    )


async def contract_reinstated(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    reinstated = ContractReinstated.from_event(event)
    await _contract_state(
        uow,
        reinstated.organisation_id,
        status="signed",
        at=reinstated.reinstated_at,
        termination_date=None,
    )


async def contact_upserted(
    event: CloudEvent,
    *,
    uow: AccessUnitOfWork,
    keys: KeyStore,
    policy: AccountPolicy,
    clock: Clock,
) -> None:
    upserted = ContactUpserted.from_event(event)
    if await older_than_an_erasure(
        uow, upserted.organisation_id, upserted.contact_id, at=upserted.upserted_at
    ):
        return
    await _representative_joined(
        uow,
        organisation_id=upserted.organisation_id,
        contact_id=upserted.contact_id,
        details=upserted.details,
        at=upserted.upserted_at,
        keys=keys,
        policy=policy,
        now=clock.now(),
    )


async def contact_left(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    """The representative's sight of the organisation's requests ends (P6, P7)."""
    left = ContactLeftOrganization.from_event(event)
    if await older_than_an_erasure(uow, left.organisation_id, left.contact_id, at=left.left_at):
        return
    rep = await uow.directory.representative(
        organisation_id=left.organisation_id, contact_id=left.contact_id
    )
    email = [f"email:{rep.email_normalised}"] if rep.email_normalised else []
    await uow.directory.serialise([f"contact:{left.contact_id}", *email])
    rep = with_membership(rep, member=False, at=left.left_at)
    await uow.directory.save_representative(rep)
    if rep.member is False:  # requests filed after leaving were never the organisation's
        decisions = await uow.requests.unassign_organisation(
            organisation_id=left.organisation_id,
            email_normalised=rep.email_normalised,
            contact_id=left.contact_id,
            since=left.left_at,
        )
        await publish_decisions(uow, decisions, at=left.left_at)


async def official_contact_appointed(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    appointed = OfficialContactAppointed.from_event(event)
    if await older_than_an_erasure(
        uow, appointed.organisation_id, appointed.contact_id, at=appointed.appointed_at
    ):
        return
    rep = await uow.directory.representative(
        organisation_id=appointed.organisation_id, contact_id=appointed.contact_id
    )
    await uow.directory.save_representative(
        with_official(rep, official=True, at=appointed.appointed_at)
    )


async def official_contact_revoked(event: CloudEvent, *, uow: AccessUnitOfWork) -> None:
    revoked = OfficialContactRevoked.from_event(event)
    if await older_than_an_erasure(
        uow, revoked.organisation_id, revoked.contact_id, at=revoked.revoked_at
    ):
        return
    rep = await uow.directory.representative(
        organisation_id=revoked.organisation_id, contact_id=revoked.contact_id
    )
    await uow.directory.save_representative(
        with_official(rep, official=False, at=revoked.revoked_at)
    )


async def older_than_an_erasure(
    uow: AccessUnitOfWork, organisation_id: str, contact_id: str | None = None, *, at: datetime
) -> bool:
    """Whether the CRM made this statement (about the organisation, or the contact in it)
    before the organisation's records, or the contact's, were erased here."""
    erased = await uow.directory.erased_at(organisation_id, contact_id)
    return erased is not None and at <= erased


async def _representative_joined(
    uow: AccessUnitOfWork,
    *,
    organisation_id: str,
    contact_id: str,
    details: SealedPersonalData,
    at: datetime,
    keys: KeyStore,
    policy: AccountPolicy,
    now: datetime,
) -> None:
    opened = await unseal(details, ContactDetails, keys=keys)
    email = [f"email:{normalise_email(str(opened.email))}"] if opened else []
    rep = await uow.directory.representative(organisation_id=organisation_id, contact_id=contact_id)
    previous = rep.email_normalised
    await uow.directory.serialise(
        [f"contact:{contact_id}", *email, *([f"email:{previous}"] if previous else [])]
    )
    latest = rep.member_at is None or rep.member_at <= at
    rep = with_membership(rep, member=True, at=at)
    if opened is not None:
        if latest or previous is None:  # an older statement arriving late keeps the address
            rep = Representative(
                **{**rep.__dict__, "email_normalised": normalise_email(str(opened.email))}
            )
        account_id = await ensure_account(
            contact_id=contact_id,
            email=str(opened.email),
            at=at,
            now=now,
            uow=uow,
            policy=policy,
        )
        if latest:
            await _login_follows_the_crm(uow, account_id, previous=previous, email=opened.email)
        await uow.requests.follow_statement(
            email_normalised=normalise_email(str(opened.email)), name=opened.full_name, at=at
        )
    await uow.directory.save_representative(rep)
    if rep.member_since is not None:
        decisions = await uow.requests.assign_organisation(
            organisation_id=organisation_id,
            email_normalised=rep.email_normalised,
            contact_id=contact_id,
            since=rep.member_since,
            until=None if rep.member else rep.member_at,
        )
        await publish_decisions(uow, decisions, at=at)


async def _login_follows_the_crm(
    uow: AccessUnitOfWork, account_id: str, *, previous: str | None, email: str
) -> None:
    """P4: the customer changed its representative's email. An account whose login is the
    address the CRM gave before takes the new one (unless another account's login is that
    address), so the representative's mail from it is theirs, under one account and one
    person's ids (P11). A login the person chose is theirs to change (rectification)."""
    wanted = normalise_email(str(email))
    if previous is None or previous == wanted:
        return
    account = await uow.accounts.by_email(previous)
    if account is None or account["_id"] != account_id:
        return
    if await uow.accounts.by_email(wanted) is not None:
        return
    await uow.accounts.update(account_id, {"email_normalised": wanted})
    await uow.mailbox.readdress(account_id, str(email))


async def _contract_state(
    uow: AccessUnitOfWork, organisation_id: str, *, status: str, at: datetime, **facts: object
) -> None:
    """Latest statement wins: an older contract event arriving late changes nothing."""
    organisation = await uow.directory.contract(organisation_id)
    status_at = organisation.get("status_at")
    erased = "erased_at" in organisation  # its purge left its id: news must be newer than it
    if status_at is not None and status_at > at:
        if "name" in facts and "name" not in organisation and not erased:
            await uow.directory.save_contract({**organisation, "name": facts["name"]})
        return
    if erased:  # a new relationship after the purge starts from nothing
        organisation = {"_id": organisation_id}
    await uow.directory.save_contract(
        {**organisation, **facts, "contract_status": status, "status_at": at}
    )
