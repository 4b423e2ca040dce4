"""intake's command handlers: plain async functions of (command, dependencies)."""

from __future__ import annotations

from typing import Protocol
from uuid import uuid4

from services.intake.domain import Contact, SupportRequest, normalise_email, open_request
from shared import topics
from shared.clock import Clock
from shared.crypto import KeyStore, seal
from shared.events import CloudEvent
from shared.events.intake import Channel, ContactDetails, RequestContent, RequestReceived

SOURCE = "/support/intake"


class Contacts(Protocol):
    async def by_email(self, normalised_email: str) -> Contact | None: ...
    async def add(self, contact: Contact) -> None: ...


class Requests(Protocol):
    async def add(self, request: SupportRequest) -> None: ...


class IntakeUnitOfWork(Protocol):
    """Everything one command changes, committed together with the events it emits."""

    @property
    def contacts(self) -> Contacts: ...
    @property
    def requests(self) -> Requests: ...

    async def publish(self, topic: str, event: CloudEvent) -> None: ...


async def submit_request(
    *,
    channel: Channel,
    requester: ContactDetails,
    subject: str,
    body: str,
    uow: IntakeUnitOfWork,
    keys: KeyStore,
    clock: Clock,
) -> SupportRequest:
    """Store a new request from a person (found or registered as a contact) and announce it."""
    contact = await uow.contacts.by_email(normalise_email(str(requester.email)))
    if contact is None:
        contact = Contact(contact_id=str(uuid4()), details=requester)
        await uow.contacts.add(contact)
    request = open_request(
        channel=channel, requester=contact, subject=subject, body=body, received_at=clock.now()
    )
    await uow.requests.add(request)
    content = RequestContent(requester=requester, subject=subject, body=body)
    received = RequestReceived(
        request_id=request.request_id,
        reference=request.reference,
        channel=request.channel,
        requester_id=request.requester_id,
        organisation_id=request.organisation_id,
        lawful_basis=request.lawful_basis,
        status=request.status,
        received_at=request.received_at,
        content=await seal(content, data_subject_id=contact.contact_id, keys=keys),
    )
    await uow.publish(
        topics.SUPPORT_REQUESTS,
        CloudEvent.of(
            source=SOURCE,
            type=RequestReceived.event_type,
            subject=request.request_id,
            time=request.received_at,
            data=received,
        ),
    )
    return request
