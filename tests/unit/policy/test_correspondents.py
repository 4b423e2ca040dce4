"""P11 (and P7, P8) for what someone writes on another person's request: a contact of ours
copied in on a thread, or replying to it, through the real producers (the web form, a mail to
intake's SMTP server), in memory (and, where marked, as real processes).

The policy: "Information you provide: the content of your request or feedback as submitted via
telephone, web or email"; the access right covers everything held on a person, across all
services, and an erasure completes in every service and in Kafka history. So Bob's reply on Ada's
request is in Bob's export and goes with his erasure (not on a customer's request, which stays
in the organisation's records); and it goes with Ada's request, which it may quote.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support import producers
from tests.support.producers import Person
from tests.unit.policy.customers import NOW as NOW  # where the `system` fixture's clock starts
from tests.unit.policy.customers import certificates, customer_with_a_request, export_of
from tests.unit.policy.threads import (
    System,
    answered_after,
    erase,
    files,
    key_kept,
    messages_read,
    replies,
)


@pytest.mark.both_layers
async def test_a_reply_on_someone_elses_request_is_in_the_writers_export_and_goes_with_them(
    system: System,
) -> None:
    ada, bob = Person.new("Ada Asker"), Person.new("Bob Replier")
    adas, _ = await files(system, ada)
    _, bob_id = await files(system, bob)  # Bob is a contact of ours: he wrote in himself
    text = f"Same error here, Bob {bob.email.split('@')[0]}"
    log = f"the log Bob sent {bob.email}".encode()
    reply = await replies(system, bob, adas, text, file=log)
    (read,) = [m for m in await messages_read(system, adas) if text in (m["body"] or "")]
    assert read["author_role"] == "colleague"
    (file,) = await system.database("intake")["attachments"].find({"message_id": reply}).to_list()

    export = (await export_of(system, bob_id))["services"]["intake"]
    assert [m["_id"] for m in export["messages"] if text in m["body"]] == [reply]
    assert len(export["mails"]) == 1  # the raw mail of his reply

    certificate = await erase(system, bob_id)
    assert certificate["remaining_total"] == 0
    assert certificate["participants"]["access"]["counts"]["messages"] == 1
    assert certificate["kept"] == []  # Ada's request is nobody's record but Ada's
    # Ada's request stays, without what Bob wrote on it, everywhere and in Kafka history
    assert await messages_read(system, adas) == []  # a web request's text is not a message
    assert await system.plaintext([text, bob.email, bob.full_name]) == {}
    assert not await key_kept(system, f"message-{reply}")
    assert not await key_kept(system, f"attachment-{file['_id']}")
    assert await system.database("intake")["attachments"].count_documents({}) == 0
    assert await system.database("intake")["requests"].count_documents({"_id": adas}) == 1


async def test_a_reply_goes_with_the_request_it_was_written_on(system: System) -> None:
    """Ada's erasure takes Bob's reply with her request (it quotes it), and his key-less copy
    in Kafka history is sealed for good; Bob and his own request stay."""
    ada, bob = Person.new("Ada Asker"), Person.new("Bob Replier")
    adas, ada_id = await files(system, ada)
    bobs, bob_id = await files(system, bob)
    text = "Bob's answer on Ada's thread"
    reply = await replies(system, bob, adas, text)
    assert await key_kept(system, f"message-{reply}")

    certificate = await erase(system, ada_id)
    assert certificate["remaining_total"] == 0
    assert not await key_kept(system, f"message-{reply}")
    assert await system.plaintext([text]) == {}
    assert await system.database("intake")["contacts"].count_documents({"_id": bob_id}) == 1
    assert await system.database("intake")["requests"].count_documents({"_id": bobs}) == 1


async def test_a_reply_on_a_customers_request_stays_in_the_organisations_records(
    system: System,
) -> None:
    """P7 over P11: what Bob wrote on a customer's request is part of the organisation's
    records, like the requests a representative filed; his erasure takes the rest."""
    rep = Person.new("Rita Rep")
    customer = await customer_with_a_request(system, official=Person.new("Olga"), rep=rep)
    bob = Person.new("Bob Replier")
    _, bob_id = await files(system, bob)
    text = "Bob's note on the customer's request"
    reply = await replies(system, bob, customer, text)

    certificate = await erase(system, bob_id)
    assert certificate["remaining_total"] == 0
    kept = {"records": "messages", "count": 1, "ground": "customer_records"}  # said, by each
    assert [certificate["participants"][p]["kept"] for p in ("intake", "access")] == [[kept]] * 2
    assert [
        m["message_id"] for m in await messages_read(system, customer) if text in m["body"]
    ] == [reply]
    assert await key_kept(system, f"message-{reply}")
    assert await system.database("intake")["contacts"].count_documents({"_id": bob_id}) == 0


async def test_a_reply_on_a_held_request_stays_with_the_hold(system: System) -> None:
    """A legal hold on Ada's request keeps it whole: Bob's reply on it stays when Bob is erased,
    and each service's part of the certificate says so."""
    ada, bob = Person.new("Ada Asker"), Person.new("Bob Replier")
    adas, _ = await files(system, ada)
    _, bob_id = await files(system, bob)
    text = "Bob's note on a held request"
    reply = await replies(system, bob, adas, text)
    system.publish(*producers.hold_placed("request", adas, at=system.clock.now()))  # legal
    await system.settle()

    certificate = await erase(system, bob_id)
    assert certificate["remaining_total"] == 0
    kept = {"records": "messages", "count": 1, "ground": "legal_hold"}
    assert [certificate["participants"][p]["kept"] for p in ("intake", "access")] == [[kept]] * 2
    assert [m["message_id"] for m in await messages_read(system, adas)] == [reply]
    assert await key_kept(system, f"message-{reply}")


async def test_what_a_person_wrote_elsewhere_goes_with_their_last_request(system: System) -> None:
    """P8: Bob's only request goes after a year without activity, and all his personal data
    with it: his reply on Ada's request too (Ada's request, still active, stays)."""
    ada, bob = Person.new("Ada Asker"), Person.new("Bob Replier")
    adas, _ = await files(system, ada)
    bobs, bob_id = await files(system, bob)
    text = "Bob's reply, a year ago"
    reply = await replies(system, bob, adas, text)
    await answered_after(system, adas, 300, "Fixed now?")
    system.clock.advance(timedelta(days=66))
    await system.settle()

    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "request", "id": bobs}
    assert certificate["remaining_total"] == 0
    assert certificate["participants"]["access"]["counts"]["messages"] == 1
    assert [m["body"] for m in await messages_read(system, adas)] == ["Fixed now?"]
    assert await system.plaintext([text, bob.email, bob.full_name]) == {}
    assert not await key_kept(system, f"message-{reply}")
    assert await system.database("intake")["contacts"].count_documents({"_id": bob_id}) == 0


async def test_what_stays_of_a_released_persons_writing_is_said(system: System) -> None:
    """P8 with P7: Bob's last request goes; his reply on a customer's request stays in the
    organisation's records, and the purge's certificate says so, service by service."""
    customer = await customer_with_a_request(
        system, official=Person.new("Olga"), rep=Person.new("Rita Rep")
    )
    bob = Person.new("Bob Replier")
    bobs, _ = await files(system, bob)
    text = "Bob's note on the customer's request, a year ago"
    reply = await replies(system, bob, customer, text)
    system.clock.advance(timedelta(days=366))
    await system.settle()

    (certificate,) = await certificates(system)
    assert certificate["scope"] == {"kind": "request", "id": bobs}
    assert certificate["remaining_total"] == 0
    kept = {"records": "messages", "count": 1, "ground": "customer_records"}
    for participant in ("intake", "access"):
        assert kept in certificate["participants"][participant]["kept"]
    assert [m["message_id"] for m in await messages_read(system, customer)] == [reply]
