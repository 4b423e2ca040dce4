"""What intake's handlers need from storage (protocols the Mongo repository and the tests'
fakes implement), and the acknowledgement mail a new request queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.intake.domain import Attachment, Contact, Message, SupportRequest
from shared.crypto import SealedPersonalData
from shared.events import CloudEvent


@dataclass(frozen=True)
class Acknowledgement:
    """A mail telling the requester their request's reference; sent after commit."""

    request_id: str
    requester_id: str
    to: str
    reference: str
    subject: str
    message_id: str
    queued_at: datetime
    organisation_id: str | None = None


class Contacts(Protocol):
    async def by_email(self, normalised_email: str) -> Contact | None: ...
    async def by_phone(self, phone_e164: str) -> Contact | None: ...
    async def get(self, contact_id: str) -> Contact | None: ...
    async def add(self, contact: Contact, *, email_key: str, phone_key: str | None) -> None: ...
    async def set_phone(self, contact: Contact, *, phone_key: str) -> None: ...
    async def announced(self, contact_id: str) -> None:
        """A correspondent-only contact filed a request of their own: a requester now."""
        ...

    async def follow_statement(
        self, contact: Contact, *, phone_key: str | None, at: datetime
    ) -> None:
        """The contact's details but its email, as the customer stated them `at`; a statement
        older than one taken already changes nothing."""
        ...

    async def retag(self, contact_id: str) -> None:
        """Recompute the customer organisations of the contact's requests."""
        ...

    async def erased_at(self, marks: list[str]) -> datetime | None:
        """When a contact with any of these addresses (`handlers.address_marks`) was last
        erased here, if one was."""
        ...


class Requests(Protocol):
    async def add(self, request: SupportRequest) -> None: ...
    async def get(self, request_id: str) -> SupportRequest | None: ...
    async def by_reference(self, reference: str) -> SupportRequest | None: ...
    async def decided(self, request_id: str) -> None: ...
    async def save(self, request: SupportRequest) -> None: ...


class Messages(Protocol):
    async def add(self, message: Message) -> None: ...


class Attachments(Protocol):
    """The kept files' sealed content, one document a file."""

    async def keep(
        self, attachment: Attachment, *, message: Message, content: SealedPersonalData
    ) -> None: ...


class ChannelItems(Protocol):
    """What arrived on a channel, by its own id (a Message-ID, a call id), and its request."""

    async def request_for(self, key: str) -> str | None: ...
    async def remember(
        self, key: str, *, request_id: str, requester_id: str, organisation_id: str | None
    ) -> None: ...


class Acknowledgements(Protocol):
    async def queue(self, acknowledgement: Acknowledgement) -> None: ...


class RequestCopies(Protocol):
    """Messages, channel items, acknowledgements and mails: each tagged with its request's
    customer organisation, so that an organisation's erasure finds every copy (P7)."""

    async def tag_organisation(self, request_id: str, organisation_id: str | None) -> None: ...


class IntakeUnitOfWork(Protocol):
    """Everything one command changes, committed together with the events it emits."""

    @property
    def contacts(self) -> Contacts: ...
    @property
    def requests(self) -> Requests: ...
    @property
    def messages(self) -> Messages: ...
    @property
    def channel_items(self) -> ChannelItems: ...
    @property
    def acknowledgements(self) -> Acknowledgements: ...
    @property
    def copies(self) -> RequestCopies: ...
    @property
    def attachments(self) -> Attachments: ...

    async def publish(self, topic: str, event: CloudEvent) -> None: ...
