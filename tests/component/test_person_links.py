"""One person's linked ids on the real store (surveys): a contact released by an erasure leaves
the person's links, and the person's other ids stay linked to each other (P9: one person is
asked once per cooldown, whichever address), while a link left with one id goes."""

from __future__ import annotations

from shared.mongo import TransactionRunner
from shared.person_links import MongoPersonLinks, create_indexes


async def test_a_released_contact_leaves_the_link_and_the_others_stay_linked(
    scratch_runner: TransactionRunner,
) -> None:
    await create_indexes(scratch_runner)
    links = MongoPersonLinks(scratch_runner.database)
    await links.link("account-1", ["old-address", "new-address", "order-form"])
    await links.link("account-2", ["someone", "someone-else"])

    assert await links.release(["old-address"]) == 1
    assert await links.of_person("new-address") == ("new-address", "order-form")
    assert await links.count_of(["old-address"]) == 0

    assert await links.release(["new-address"]) == 1  # one id left: no link any more
    assert await links.of_person("order-form") == ("order-form",)
    assert await links.count_of(["order-form"]) == 0
    assert await links.of_person("someone") == ("someone", "someone-else")  # untouched
