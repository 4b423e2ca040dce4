"""P11 and P8 for someone we did not know who writes on another person's request: Carol, copied
in on Ada's thread, answers it by mail. Through the real producers (the web form, a mail to
intake's SMTP server), in memory (and, where marked, as real processes).

The policy: what a person provides by email is theirs; the access right covers everything held
on them, and an erasure completes everywhere; "when a person's last request goes, all their
personal data goes with it". So intake keeps Carol as a contact (her name and address as her
mail gave them) that support staff can name in a data-subject request, without an account (she
filed no request, P3); and her contact goes with the last request she wrote on.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest

from tests.support.intake import mail
from tests.support.producers import Person
from tests.unit.policy.customers import NOW as NOW  # where the `system` fixture's clock starts
from tests.unit.policy.customers import certificates, export_of
from tests.unit.policy.threads import (
    System,
    answered_after,
    erase,
    files,
    key_kept,
    messages_read,
    replies,
)


async def written_by_someone_new(
    system: System, request_id: str, person: Person, text: str, **sent: Any
) -> tuple[str, str]:
    """The person, unknown to us, answers the request's thread; (their message's id, the
    contact id support staff read on it)."""
    reply = await replies(system, person, request_id, text, **sent)
    (read,) = [m for m in await messages_read(system, request_id) if m["message_id"] == reply]
    assert read["author_role"] == "colleague" and read["correspondent_id"], read
    return reply, str(read["correspondent_id"])


async def contact_kept(system: System, contact_id: str) -> bool:
    return bool(await system.database("intake")["contacts"].count_documents({"_id": contact_id}))


@pytest.mark.both_layers
async def test_someone_new_on_a_thread_can_have_what_they_wrote_exported_and_erased(
    system: System,
) -> None:
    ada, carol = Person.new("Ada Asker"), Person.new("Carol Copied")
    adas, _ = await files(system, ada)
    text = f"Carol here, same problem {carol.email.split('@')[0]}"
    log = f"the log Carol sent {carol.email}".encode()
    reply, carol_id = await written_by_someone_new(system, adas, carol, text, file=log)
    # kept as a contact for what she wrote, but she filed no request: no account (P3)
    assert await contact_kept(system, carol_id)
    assert await system.database("access")["accounts"].count_documents({}) == 1  # Ada's
    (file,) = await system.database("intake")["attachments"].find({"message_id": reply}).to_list()

    export = (await export_of(system, carol_id))["services"]
    assert export["intake"]["contact"]["email"] == carol.email
    assert [m["_id"] for m in export["intake"]["messages"]] == [reply]
    assert len(export["intake"]["mails"]) == 1

    certificate = await erase(system, carol_id)
    assert certificate["remaining_total"] == 0
    assert certificate["kept"] == []
    assert not await contact_kept(system, carol_id)
    assert await messages_read(system, adas) == []  # Ada's request stays, without Carol's reply
    assert await system.plaintext([text, carol.email, carol.full_name]) == {}
    assert not await key_kept(system, f"message-{reply}")
    assert not await key_kept(system, f"attachment-{file['_id']}")


async def test_their_contact_goes_with_the_last_request_they_wrote_on(system: System) -> None:
    """P8: Carol wrote on Ada's and on Dan's requests. Ada's goes after a year without activity;
    Carol's contact stays, said as kept for another request, while Dan's (still active) holds
    her reply; when Dan's goes too, so does she, and nothing of hers is left anywhere."""
    ada, dan, carol = Person.new("Ada Asker"), Person.new("Dan Doe"), Person.new("Carol Copied")
    adas, _ = await files(system, ada)
    dans, _ = await files(system, dan)
    _, carol_id = await written_by_someone_new(system, adas, carol, "Carol on Ada's")
    await written_by_someone_new(system, dans, carol, "Carol on Dan's")
    await answered_after(system, dans, 300, "Still there?")
    system.clock.advance(timedelta(days=66))
    await system.settle()

    (first,) = await certificates(system)
    assert first["scope"] == {"kind": "request", "id": adas}
    assert first["remaining_total"] == 0
    kept = {"records": "contacts", "count": 1, "ground": "other_requests"}
    assert kept in first["participants"]["intake"]["kept"]
    assert await contact_kept(system, carol_id)

    system.clock.advance(timedelta(days=300))
    await system.settle()
    second = [c for c in await certificates(system) if c["scope"]["id"] == dans]
    assert [c["remaining_total"] for c in second] == [0]
    assert second[0]["participants"]["intake"]["counts"]["contacts"] == 2  # Dan and Carol
    assert not await contact_kept(system, carol_id)
    assert await system.plaintext([carol.email, carol.full_name, "Carol on"]) == {}


async def test_their_contact_goes_with_the_erasure_of_the_request_they_wrote_on(
    system: System,
) -> None:
    """Ada's erasure takes her request and Carol's reply on it (it may quote Ada): Carol, with
    nothing else of hers held, goes too."""
    ada, carol = Person.new("Ada Asker"), Person.new("Carol Copied")
    adas, ada_id = await files(system, ada)
    reply, carol_id = await written_by_someone_new(system, adas, carol, "Carol's answer")

    certificate = await erase(system, ada_id)
    assert certificate["remaining_total"] == 0
    assert certificate["participants"]["intake"]["counts"]["contacts"] == 2
    assert not await contact_kept(system, carol_id)
    assert not await key_kept(system, f"message-{reply}")
    assert await system.plaintext([carol.email, carol.full_name, "Carol's answer"]) == {}


@pytest.mark.both_layers
async def test_their_own_first_request_makes_them_a_requester_with_what_they_wrote(
    system: System,
) -> None:
    """P3: Carol, who so far only answered Ada's thread, writes in herself: she gets her
    account then, as the same person, and her export holds both."""
    ada, carol = Person.new("Ada Asker"), Person.new("Carol Copied")
    adas, _ = await files(system, ada)
    reply, carol_id = await written_by_someone_new(system, adas, carol, "Carol's answer")

    carols, requester_id = await files(system, carol)
    assert requester_id == carol_id
    account = await system.database("access")["accounts"].find_one({"contact_ids": carol_id})
    assert account is not None and account["email_normalised"] == carol.email
    export = (await export_of(system, carol_id))["services"]["intake"]
    assert [r["_id"] for r in export["requests"]] == [carols]
    assert reply in [m["_id"] for m in export["messages"]]


async def test_someone_copied_in_is_not_kept_in_the_requesters_mail(system: System) -> None:
    """P2 and P11: Ada mails support with Carol in copy, and Carol answers all. Carol's erasure
    leaves nothing of hers: Ada's mail, kept with Ada's request, never held its copy line."""
    ada, carol = Person.new("Ada Asker"), Person.new("Carol Copied")
    first = mail(
        sender=ada.email,
        name=ada.full_name,
        subject="Printer on fire",
        body="Help, please.",
        Cc=f"{carol.full_name} <{carol.email}>",
    )
    await system.send_mail(first)
    await system.settle()
    requests = system.database("intake")["requests"]
    (adas,) = [r["_id"] async for r in requests.find({"subject": "Printer on fire"})]
    answer = mail(
        sender=carol.email,
        name=carol.full_name,
        subject="Re: Printer on fire",
        body="Carol's answer to all",
        In_Reply_To=str(first["Message-ID"]),
        Cc=f"{ada.full_name} <{ada.email}>",
    )
    await system.send_mail(answer)
    await system.settle()
    (read,) = [m for m in await messages_read(system, adas) if m["author_role"] == "colleague"]

    certificate = await erase(system, str(read["correspondent_id"]))
    assert certificate["remaining_total"] == 0
    assert await system.plaintext([carol.email, carol.full_name]) == {}
    assert await system.database("intake")["raw_mails"].count_documents({"request_id": adas}) == 1


async def test_the_requesters_export_holds_others_replies_but_not_their_mails(
    system: System,
) -> None:
    """P11 both ways: Ada's export holds Carol's reply on Ada's request (Ada reads it there),
    not Carol's mail with Carol's name and address: that is Carol's, in Carol's export."""
    ada, carol = Person.new("Ada Asker"), Person.new("Carol Copied")
    adas, ada_id = await files(system, ada)
    reply, carol_id = await written_by_someone_new(system, adas, carol, "Carol's answer")

    adas_export = (await export_of(system, ada_id))["services"]["intake"]
    assert reply in [m["_id"] for m in adas_export["messages"]]
    assert adas_export["mails"] == []  # Ada wrote in on the web: she sent no mail
    assert carol.email not in str(adas_export) and carol.full_name not in str(adas_export)
    carols_export = (await export_of(system, carol_id))["services"]["intake"]
    (carols_mail,) = carols_export["mails"]
    assert carol.email.encode() in base64.b64decode(carols_mail["raw_base64"])
