"""access says which data-subject ids are one person's (P11), through real Kafka and storage:
retention erases, exports and rectifies a person under every id their account links."""

from __future__ import annotations

from uuid import uuid4

import pytest

from services.access import accounts
from services.access.account_store import ACCOUNTS, LINKS_ANNOUNCED, UPGRADES
from services.access.unit_of_work import MongoAccessUnitOfWork
from shared import topics
from shared.events.access import AccountContactsLinked
from shared.mongo import in_transaction
from shared.stores import unit_of_work_factory
from tests.component.access.conftest import Access
from tests.support.apps import eventually
from tests.support.kafka import read_events


async def announced(access: Access, contact_id: str) -> list[AccountContactsLinked]:
    """The links announced for the account that holds this contact."""
    events = await read_events(
        access.runtime.settings.kafka_bootstrap_servers, topics.ACCESS_MEMBERSHIPS
    )
    return [
        linked
        for event in events
        if event.type == AccountContactsLinked.event_type
        and contact_id in (linked := AccountContactsLinked.from_event(event)).contact_ids
    ]


@pytest.mark.parametrize("first", ["order form", "request"])
async def test_a_representative_who_writes_in_has_both_ids_announced(
    access: Access, first: str
) -> None:
    """The order form makes the account (the CRM's contact id) and the first request from the
    same address makes intake's contact, in either order (they arrive on different topics):
    the second joins the first's account, and the link is announced."""
    org, rep, contact = f"org-{uuid4().hex[:8]}", f"crm-{uuid4().hex[:8]}", str(uuid4())
    email = f"rep.{rep}@customer.example"

    async def sign() -> None:
        await access.sign_contract(org, contacts={rep: email}, official=rep, at=access.clock.now())

    async def write_in() -> None:
        await access.register_contact(contact, email.upper())  # the same address, as typed

    one, other = (sign, write_in) if first == "order form" else (write_in, sign)
    await one()
    await eventually(lambda: access.document(ACCOUNTS, {"email_normalised": email}))
    await other()

    async def both() -> list[AccountContactsLinked] | None:
        return await announced(access, rep) or None

    (linked,) = await eventually(both)
    assert set(linked.contact_ids) == {rep, contact}
    assert linked.account_id == (rep if first == "order form" else contact)
    stored = await access.document(ACCOUNTS, {"_id": linked.account_id})
    assert stored is not None and stored["links_announced"] is True


async def test_accounts_linked_before_links_were_announced_are_announced_once(
    access: Access,
) -> None:
    account_id, other = str(uuid4()), str(uuid4())
    database = access.runtime.runner.database
    await database[UPGRADES].delete_one({"_id": LINKS_ANNOUNCED})  # as before the upgrade ran
    await database[ACCOUNTS].insert_one(  # as an earlier version left it: linked, unannounced
        {
            "_id": account_id,
            "email_normalised": f"{account_id}@example.org",
            "contact_ids": [account_id, other],
            "password_hash": None,
        }
    )
    unit_of_work = unit_of_work_factory(
        access.runtime.runner, access.runtime.relay.notify, MongoAccessUnitOfWork
    )

    async def announce_earlier() -> int:
        return await in_transaction(
            unit_of_work,
            lambda uow: accounts.announce_earlier_links(uow=uow, now=access.clock.now()),
        )

    assert await announce_earlier() >= 1
    assert await announce_earlier() == 0

    async def once() -> list[AccountContactsLinked] | None:
        return await announced(access, account_id) or None

    (linked,) = await eventually(once)
    assert linked.contact_ids == (account_id, other)
