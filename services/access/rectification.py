"""Rectification in access (P11): the person's corrected name and email in request views,
memberships and account login."""

from __future__ import annotations

from datetime import datetime

from services.access.domain import normalise_email
from services.access.ports import AccessUnitOfWork
from shared.events.intake import ContactDetails


async def rectify(
    person: str, details: ContactDetails, *, uow: AccessUnitOfWork, at: datetime
) -> None:
    """Replace the person's name and email in request views, memberships and account login,
    as the person stated them `at` (a customer's statement made before no longer applies)."""
    email = str(details.email)
    email_normalised = normalise_email(email)
    account = await uow.accounts.by_contact(person)
    contact_ids = sorted({person, *(account["contact_ids"] if account else [])})
    old = [account["email_normalised"]] if account and account.get("email_normalised") else []
    await uow.directory.serialise(
        [*(f"contact:{c}" for c in contact_ids), f"email:{email_normalised}"]
        + [f"email:{e}" for e in old]
    )
    await uow.requests.rectify_requester(contact_ids, name=details.full_name, email=email, at=at)
    await uow.directory.rectify_email(contact_ids, email_normalised)
    if account is None or account["email_normalised"] == email_normalised:
        return
    holder = await uow.accounts.by_email(email_normalised)
    if holder is not None and holder["_id"] != account["_id"]:
        return  # the corrected address is another account's login (P3: one per email)
    # only the login email changes: the password hash stays
    await uow.accounts.update(account["_id"], {"email_normalised": email_normalised})
    await uow.mailbox.readdress(account["_id"], email)
