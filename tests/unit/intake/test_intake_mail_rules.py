"""The email channel's rules on small in-memory fakes: what opens, threads or is ignored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from services.intake.domain import Contact, Message, SupportRequest
from services.intake.handlers import Matching
from services.intake.mail_intake import MailPolicy, receive_mail
from services.intake.mime import ParsedMail
from services.intake.ports import Acknowledgement
from shared.crypto import InMemoryKeyStore
from shared.events import CloudEvent

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = MailPolicy(
    own_addresses=frozenset({"support@support.example"}),
    mail_domain="intake.test",
    max_body_chars=100,
    matching=Matching(),
)


class FakeUnitOfWork:
    """Contacts, requests, messages, channel items and acknowledgements in dicts and lists."""

    def __init__(self) -> None:
        self.contact_rows: dict[str, tuple[Contact, str, str | None]] = {}
        self.request_rows: dict[str, SupportRequest] = {}
        self.message_rows: list[Message] = []
        self.items: dict[str, str] = {}
        self.acks: list[Acknowledgement] = []
        self.published: list[tuple[str, CloudEvent]] = []
        self.contacts = self
        self.requests = self
        self.messages = self
        self.channel_items = self
        self.acknowledgements = self

    async def by_email(self, normalised_email: str) -> Contact | None:
        return next((c for c, e, _ in self.contact_rows.values() if e == normalised_email), None)

    async def by_phone(self, phone_e164: str) -> Contact | None:
        return next((c for c, _, p in self.contact_rows.values() if p == phone_e164), None)

    async def get(self, request_id: str) -> SupportRequest | None:
        return self.request_rows.get(request_id)

    async def add(self, item: object, *, email_key: str = "", phone_key: str | None = None) -> None:
        if isinstance(item, Contact):
            self.contact_rows[item.contact_id] = (item, email_key, phone_key)
        elif isinstance(item, SupportRequest):
            self.request_rows[item.request_id] = item
        elif isinstance(item, Message):
            self.message_rows.append(item)

    async def set_phone(self, contact: Contact, *, phone_key: str) -> None:
        _, email_key, _ = self.contact_rows[contact.contact_id]
        self.contact_rows[contact.contact_id] = (contact, email_key, phone_key)

    async def announced(self, contact_id: str) -> None:
        contact, email_key, phone_key = self.contact_rows[contact_id]
        self.contact_rows[contact_id] = (
            replace(contact, correspondent_only=False),
            email_key,
            phone_key,
        )

    async def erased_at(self, marks: list[str]) -> datetime | None:
        return None  # nobody erased here

    async def by_reference(self, reference: str) -> SupportRequest | None:
        return next((r for r in self.request_rows.values() if r.reference == reference), None)

    async def save(self, request: SupportRequest) -> None:
        self.request_rows[request.request_id] = request

    async def request_for(self, key: str) -> str | None:
        return self.items.get(key)

    async def remember(
        self, key: str, *, request_id: str, requester_id: str, organisation_id: str | None
    ) -> None:
        self.items.setdefault(key, request_id)

    async def queue(self, acknowledgement: Acknowledgement) -> None:
        self.acks.append(acknowledgement)

    async def publish(self, topic: str, event: CloudEvent) -> None:
        self.published.append((topic, event))

    def types(self) -> list[str]:
        return [event.type.removeprefix("support.") for _, event in self.published]


def parsed(**fields: object) -> ParsedMail:
    values: dict[str, object] = {
        "sender_email": "ada@example.org",
        "sender_name": "Ada",
        "subject": "Help",
        "body": "Body",
        "message_id": "<m1@x>",
        "in_reply_to": (),
        "references": (),
        "automated": None,
        "files": (),
    }
    values.update(fields)
    return ParsedMail(**values)  # type: ignore[arg-type]


async def receive(uow: FakeUnitOfWork, mail: ParsedMail) -> str:
    outcome = await receive_mail(
        mail=mail, received_at=AT, uow=uow, keys=InMemoryKeyStore(), policy=POLICY
    )
    return outcome.kind if outcome.reason is None else f"{outcome.kind}:{outcome.reason}"


async def test_a_first_mail_registers_opens_and_queues_an_acknowledgement() -> None:
    uow = FakeUnitOfWork()
    assert await receive(uow, parsed()) == "opened"
    assert uow.types() == ["contact.registered.v1", "request.received.v1"]
    [ack] = uow.acks
    assert ack.message_id == f"<ack.{ack.request_id}@intake.test>"
    assert uow.items[f"mail:ack.{ack.request_id}@intake.test"] == ack.request_id


async def test_replies_thread_by_header_or_reference_and_never_open_a_second_request() -> None:
    uow = FakeUnitOfWork()
    await receive(uow, parsed())
    [request] = uow.request_rows.values()
    by_header = parsed(message_id="<m2@x>", in_reply_to=(uow.acks[0].message_id.upper(),))
    by_subject = parsed(message_id="<m3@x>", subject=f"Re: {request.reference.lower()}")
    assert await receive(uow, by_header) == "threaded"
    assert await receive(uow, by_subject) == "threaded"
    assert len(uow.request_rows) == 1
    assert uow.types().count("contact.registered.v1") == 1
    assert len(uow.message_rows) == 3


async def test_a_reply_reopens_a_resolved_request() -> None:
    uow = FakeUnitOfWork()
    await receive(uow, parsed())
    [request] = uow.request_rows.values()
    uow.request_rows[request.request_id] = replace(request, status="resolved", resolution="solved")
    await receive(uow, parsed(message_id="<m2@x>", in_reply_to=("<m1@x>",)))
    assert uow.request_rows[request.request_id].status == "open"
    assert uow.types()[-1] == "request.status_changed.v1"


async def test_machines_loops_and_duplicates_open_nothing() -> None:
    uow = FakeUnitOfWork()
    assert await receive(uow, parsed(automated="auto_submitted")) == "ignored:auto_submitted"
    assert await receive(uow, parsed(sender_email="SUPPORT@support.example")) == (
        "ignored:own_sender"
    )
    assert await receive(uow, parsed(sender_email=None)) == "ignored:no_sender"
    assert await receive(uow, parsed()) == "opened"
    assert await receive(uow, parsed()) == "duplicate:message_id_seen"
    assert len(uow.request_rows) == 1


async def test_someone_new_in_the_thread_is_kept_as_its_correspondent_not_as_a_requester() -> None:
    """P11 with P3: Carol, whom we do not know, replies on Ada's thread. She is kept as a
    contact so what she wrote is hers to export and erase, but not announced: she filed no
    request, so she gets no account (and no survey) until she files one of her own."""
    uow = FakeUnitOfWork()
    await receive(uow, parsed())
    carols = parsed(sender_email="carol@example.org", in_reply_to=("<m1@x>",), message_id="<m2@x>")
    assert await receive(uow, carols) == "threaded"
    (carol,) = [c for c, email, _ in uow.contact_rows.values() if email == "carol@example.org"]
    assert carol.correspondent_only
    written = uow.message_rows[-1]
    assert (written.author_role, written.correspondent_id) == ("colleague", carol.contact_id)
    assert uow.types().count("contact.registered.v1") == 1  # Ada's only
    # a second reply is hers too; her own first request makes her a requester, announced once
    again = parsed(sender_email="carol@example.org", in_reply_to=("<m1@x>",), message_id="<m3@x>")
    await receive(uow, again)
    assert uow.message_rows[-1].correspondent_id == carol.contact_id
    assert await receive(uow, parsed(sender_email="carol@example.org", message_id="<c1@x>")) == (
        "opened"
    )
    assert len(uow.contact_rows) == 2
    assert not uow.contact_rows[carol.contact_id][0].correspondent_only
    assert uow.types().count("contact.registered.v1") == 2
    registered = [e for _, e in uow.published if e.type.endswith("contact.registered.v1")]
    assert registered[-1].subject == carol.contact_id


async def test_a_contact_of_ours_writing_on_anothers_thread_is_named_as_its_correspondent() -> None:
    """P11: Bob (a requester himself) replies on Ada's thread: the message is named as his,
    so his export and erasure find it, and it is sealed with a key of its own, not Ada's
    (shredded when it goes, with his erasure or with Ada's request, which it may quote)."""
    uow, keys = FakeUnitOfWork(), InMemoryKeyStore()
    for mail in (parsed(), parsed(sender_email="bob@example.org", message_id="<b1@x>")):
        await receive_mail(mail=mail, received_at=AT, uow=uow, keys=keys, policy=POLICY)
    ada, bob = (uow.request_rows[r].requester_id for r in uow.request_rows)
    reply = parsed(sender_email="bob@example.org", in_reply_to=("<m1@x>",), message_id="<b2@x>")
    outcome = await receive_mail(mail=reply, received_at=AT, uow=uow, keys=keys, policy=POLICY)
    assert (outcome.kind, outcome.requester_id, outcome.correspondent_id) == ("threaded", ada, bob)
    written = uow.message_rows[-1]
    assert (written.author_role, written.author_id, written.correspondent_id) == (
        "colleague",
        bob,
        bob,
    )
    (_, added) = uow.published[-1]
    assert added.data["content"]["data_subject_id"] == f"message-{written.message_id}"
    # Ada's own reply stays hers, sealed with her key
    mine = parsed(in_reply_to=("<m1@x>",), message_id="<m3@x>")
    answer = await receive_mail(mail=mine, received_at=AT, uow=uow, keys=keys, policy=POLICY)
    assert (answer.kind, answer.correspondent_id) == ("threaded", None)
    assert (uow.message_rows[-1].author_role, uow.message_rows[-1].correspondent_id) == (
        "requester",
        None,
    )
    assert uow.published[-1][1].data["content"]["data_subject_id"] == ada
