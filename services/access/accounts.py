"""Accounts (P3): requester accounts with one-time set-password links, staff, login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from uuid import uuid4

from services.access import passwords
from services.access.domain import StaffRole, normalise_email
from services.access.handlers import NotFoundError, RejectedError
from services.access.ports import AccessUnitOfWork, Accounts, Record, Staff
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, unseal
from shared.events import CloudEvent
from shared.events.access import AccountContactsLinked
from shared.events.intake import ContactDetails, ContactRegistered
from shared.events.sources import ACCESS
from shared.tokens import KeyRing, Principal, Role, issue_token


@dataclass(frozen=True)
class AccountPolicy:
    """Settings of accounts and login, from the service's settings."""

    set_password_url: str
    link_lifetime: timedelta
    token_lifetime: timedelta
    login_window: timedelta
    failures_per_account: int
    failures_per_client: int


class LoginFailures(Protocol):
    async def count_since(self, key: str, since: datetime) -> int: ...
    async def add(self, keys: list[str], at: datetime) -> None: ...
    async def clear(self, key: str) -> None: ...


class LoginThrottledError(Exception):
    """Too many failed logins for this account or client; try again later."""


class LoginFailedError(Exception):
    """Wrong email or password (the same answer whether or not the email exists)."""


async def register_contact(
    event: CloudEvent,
    *,
    uow: AccessUnitOfWork,
    keys: KeyStore,
    policy: AccountPolicy,
    clock: Clock,
) -> None:
    """A contact intake registered gets an account and a set-password link by mail (P3)."""
    registered = ContactRegistered.from_event(event)
    if await uow.accounts.was_erased(registered.contact_id):
        return  # erased (with their last request) before the registration got here
    details = await unseal(registered.details, ContactDetails, keys=keys)
    if details is None:
        return  # erased before we got here
    await ensure_account(
        contact_id=registered.contact_id,
        email=str(details.email),
        at=registered.registered_at,
        now=clock.now(),
        uow=uow,
        policy=policy,
    )


async def ensure_account(
    *,
    contact_id: str,
    email: str,
    at: datetime,
    now: datetime,
    uow: AccessUnitOfWork,
    policy: AccountPolicy,
) -> str:
    """The account of this person (by email), created `at` the event's time with a mailed
    link if new; its id. The link's lifetime runs from `now`, when it is made: an event read
    late (an order form signed weeks ago) still mails a link that works."""
    email_normalised = normalise_email(email)
    existing = await uow.accounts.by_email(email_normalised)
    if existing is not None:
        if contact_id not in existing["contact_ids"]:
            await uow.accounts.link_contact(existing["_id"], contact_id)
            linked = {**existing, "contact_ids": [*existing["contact_ids"], contact_id]}
            await _announce_links(linked, uow=uow, at=at)
        return str(existing["_id"])
    known = await uow.accounts.by_contact(contact_id)
    if known is not None:
        return str(known["_id"])
    await _mail_link(
        contact_id,
        email,
        uow=uow,
        policy=policy,
        now=now,
        opening="An account was created for you at our support desk, so you can follow your "
        "requests.",
        new_account={
            "_id": contact_id,
            "email_normalised": email_normalised,
            "contact_ids": [contact_id],
            "password_hash": None,
            "picture": None,
            "created_at": at,
        },
    )
    return contact_id


async def announce_earlier_links(*, uow: AccessUnitOfWork, now: datetime) -> int:
    """Announce, once, the links of accounts linked before links were announced (start-up,
    250 accounts a call); how many were announced."""
    earlier = await uow.accounts.links_unannounced(limit=250)
    for account in earlier:
        await _announce_links(account, uow=uow, at=now)
    return len(earlier)


async def _announce_links(account: Record, *, uow: AccessUnitOfWork, at: datetime) -> None:
    """Say which data-subject ids are one person's (P11: erased and exported together)."""
    linked = AccountContactsLinked(
        account_id=str(account["_id"]), contact_ids=tuple(account["contact_ids"]), linked_at=at
    )
    await uow.accounts.update(linked.account_id, {"links_announced": True})
    await uow.publish(
        topics.ACCESS_MEMBERSHIPS, ACCESS.event(subject=linked.account_id, time=at, data=linked)
    )


async def new_link(
    *, email: str, uow: AccessUnitOfWork, policy: AccountPolicy, now: datetime
) -> None:
    """A new set-password link for a requester's account (a link expired, or the password was
    forgotten); the old link stops working. Nothing happens for an unknown address, and the
    caller cannot tell the difference."""
    account = await uow.accounts.by_email(normalise_email(email))
    if account is None:
        return
    await _mail_link(
        str(account["_id"]),
        email,
        uow=uow,
        policy=policy,
        now=now,
        opening="Someone asked for a new link to set the password of your support account.",
    )


async def _mail_link(
    account_id: str,
    email: str,
    *,
    uow: AccessUnitOfWork,
    policy: AccountPolicy,
    now: datetime,
    opening: str,
    new_account: Record | None = None,
) -> None:
    """Mail a new one-time link to set the password; `new_account` is created with it (one
    write), else the account's link is replaced."""
    token = passwords.new_link_token()
    link = {"token_hash": passwords.digest(token), "expires_at": now + policy.link_lifetime}
    if new_account is not None:
        await uow.accounts.add({**new_account, "set_password": link})
    else:
        await uow.accounts.update(account_id, {"set_password": link})
    hours = int(policy.link_lifetime.total_seconds() // 3600)
    await uow.mailbox.enqueue(
        mail_id=str(uuid4()),
        account_id=account_id,
        to=email,
        subject="Set the password of your support account",
        body=(
            f"{opening}\n"
            f"Set your password within {hours} hours with this one-time link:\n\n"
            f"{policy.set_password_url}?token={token}\n\n"
            "If you did not contact us, ignore this message."
        ),
        at=now,
    )


async def set_password(*, token: str, password: str, uow: AccessUnitOfWork, clock: Clock) -> None:
    """Use a one-time link: set the password (argon2id) and spend the link."""
    account = await uow.accounts.by_set_password_token(passwords.digest(token))
    if account is None or account["set_password"]["expires_at"] <= clock.now():
        raise RejectedError("token", "invalid_or_expired")
    await uow.accounts.update(
        account["_id"],
        {"password_hash": passwords.hash_password(password), "set_password": None},
    )


async def login(
    *,
    email: str,
    password: str,
    client: str,
    accounts: Accounts,
    staff: Staff,
    failures: LoginFailures,
    policy: AccountPolicy,
    keys: KeyRing,
    clock: Clock,
) -> str:
    """A signed token for a staff member or requester; throttled per account and per client."""
    now = clock.now()
    email_normalised = normalise_email(email)
    account_key = "account:" + passwords.digest(email_normalised)
    client_key = "client:" + passwords.digest(client)
    since = now - policy.login_window
    if (
        await failures.count_since(account_key, since) >= policy.failures_per_account
        or await failures.count_since(client_key, since) >= policy.failures_per_client
    ):
        raise LoginThrottledError
    member = await staff.by_email(email_normalised)
    account = None if member else await accounts.by_email(email_normalised)
    found = member or account
    # verified even without an account (against a dummy hash): the same time either way
    verified = passwords.verify_password(found.get("password_hash") if found else None, password)
    if found is None or not verified:
        await failures.add([account_key, client_key], now)
        raise LoginFailedError
    await failures.clear(account_key)
    role: Role = member["role"] if member else "requester"
    return issue_token(str(found["_id"]), role, keys=keys, now=now, lifetime=policy.token_lifetime)


async def add_staff(
    *, email: str, role: StaffRole, password: str, uow: AccessUnitOfWork, clock: Clock
) -> Record:
    """An admin adds a support staff member, colleague or admin with an initial password."""
    email_normalised = normalise_email(email)
    if await uow.staff.by_email(email_normalised) is not None:
        raise RejectedError("email", "already_a_staff_member")
    member: Record = {
        "_id": str(uuid4()),
        "email_normalised": email_normalised,
        "role": role,
        "password_hash": passwords.hash_password(password),
        "active": True,
        "created_at": clock.now(),
    }
    await uow.staff.add(member)
    return member


async def remove_staff(staff_id: str, *, uow: AccessUnitOfWork) -> None:
    if not await uow.staff.deactivate(staff_id):
        raise NotFoundError("no such staff member")


async def bootstrap_admin(
    *, email: str, password: str, uow: AccessUnitOfWork, clock: Clock
) -> None:
    """The first admin, from settings, unless already there."""
    if email and password and await uow.staff.by_email(normalise_email(email)) is None:
        await add_staff(email=email, role="admin", password=password, uow=uow, clock=clock)


async def account_of(principal: Principal, *, accounts: Accounts) -> Record:
    """The requester account behind a principal; NotFoundError for anyone else."""
    account = None
    if principal.role == "requester":
        account = await accounts.by_contact(principal.principal_id)
    if account is None:
        raise NotFoundError("no such account")
    return account


async def set_picture(
    principal: Principal, picture: Record | None, *, uow: AccessUnitOfWork
) -> None:
    """Keep (or with None, drop) the requester's profile picture; NotFoundError for others."""
    account = await account_of(principal, accounts=uow.accounts)
    await uow.accounts.update(account["_id"], {"picture": picture})
