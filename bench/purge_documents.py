"""The documents one request of scenario 5's organisation leaves in each service's database,
built from the services' own domain objects and stored as their repositories store them."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from services.access.domain import MessageView, RequestView
from services.intake import repository as intake_repository
from services.intake.domain import Message, SupportRequest
from services.intake.handlers import mail_key
from services.intake.ports import Acknowledgement
from services.surveys import repository as surveys_repository
from services.surveys.domain import Invitation, SurveyCandidate, SurveyKeys
from services.surveys.responses import RecordedResponse
from shared.events.intake import ContactDetails
from shared.mongo import Document

RESPONSE_EVERY = 4  # one invitation in four was answered


def with_id(document: dict[str, Any], key: str) -> Document:
    """The document with its `key` field stored as `_id` (as the repositories do)."""
    document["_id"] = document.pop(key)
    return document


@dataclass(frozen=True)
class Person:
    """A representative of the organisation: contact id (data-subject id) and details."""

    contact_id: str
    details: ContactDetails


def intake_documents(request: SupportRequest, person: Person) -> dict[str, Document]:
    """intake's documents of one request (as MongoRequests/Messages/Acknowledgements write)."""
    message = Message(
        message_id=str(uuid.uuid4()),
        request_id=request.request_id,
        requester_id=person.contact_id,
        channel=request.channel,
        author_role="requester",
        author_id=person.contact_id,
        body=request.body,
        added_at=request.received_at,
        organisation_id=request.organisation_id,
    )
    ack = Acknowledgement(
        request_id=request.request_id,
        requester_id=person.contact_id,
        to=str(person.details.email),
        reference=request.reference,
        subject=f"[{request.reference}] {request.subject}",
        message_id=f"<ack.{request.request_id}@support.example.org>",
        queued_at=request.received_at,
        organisation_id=request.organisation_id,
    )
    acknowledgement = {**asdict(ack), "_id": ack.request_id}
    acknowledgement["sent_at"] = request.received_at + timedelta(seconds=5)  # sent long ago
    return {
        intake_repository.REQUESTS: with_id(asdict(request), "request_id"),
        intake_repository.MESSAGES: with_id(asdict(message), "message_id"),
        intake_repository.ACKNOWLEDGEMENTS: acknowledgement,
        intake_repository.CHANNEL_ITEMS: {
            "_id": mail_key(ack.message_id),
            "request_id": request.request_id,
            "requester_id": person.contact_id,
            "organisation_id": request.organisation_id,
        },
    }


def access_document(request: SupportRequest, person: Person, message_id: str) -> Document:
    """access's read-model document (as MongoRequestReadModel.upsert + add_message write)."""
    view = RequestView(
        request_id=request.request_id,
        reference=request.reference,
        channel=request.channel,
        status=request.status,
        lawful_basis=request.lawful_basis,
        organisation_id=request.organisation_id,
        requester_id=person.contact_id,
        received_at=request.received_at,
        updated_at=request.received_at,
        requester_name=person.details.full_name,
        requester_email=str(person.details.email),
        subject=request.subject,
        body=request.body,
    )
    document = with_id(asdict(view), "request_id")
    document["organisation_derived"] = False
    document["requester_email_normalised"] = str(person.details.email).strip().casefold()
    document["messages"] = [
        asdict(MessageView(message_id, "requester", request.received_at, request.body))
    ]
    return document


def surveys_documents(
    request: SupportRequest, number: int, *, secrets: SurveyKeys
) -> dict[str, Document]:
    """surveys' documents of one resolved request: the candidate and a sent invitation."""
    resolved = request.received_at + timedelta(days=2)
    org, person = request.organisation_id, request.requester_id
    candidate = SurveyCandidate(
        request.request_id, person, request.channel, org, "resolved", request.received_at
    )
    invitation = Invitation(
        invitation_id=str(uuid.uuid4()),
        request_id=request.request_id,
        requester_id=person,
        channel=request.channel,
        organisation_id=org,
        resolution="solved",
        resolved_at=resolved,
        decided_at=resolved,
        state="sent",
        reason="sent",
        due_at=resolved + timedelta(days=1),
        message_id=f"<survey.{request.request_id}@support.example.org>",
        opt_out_key=secrets.opt_out_key(f"{person}@example.org"),
        attempts=1,
        sent_at=resolved + timedelta(days=1),
        response_expires_at=resolved + timedelta(days=31),
    )
    invited = with_id(asdict(invitation), "invitation_id")
    invited["history"] = [{"reason": invitation.reason, "at": invitation.decided_at}]
    documents = {
        surveys_repository.CANDIDATES: with_id(asdict(candidate), "request_id"),
        surveys_repository.INVITATIONS: invited,
    }
    if number % RESPONSE_EVERY == 0:
        response = RecordedResponse(
            invitation.invitation_id, request.request_id, person, request.channel, org, 5, resolved
        )
        documents[surveys_repository.RESPONSES] = {
            **with_id(asdict(response), "invitation_id"),
            "comment": None,
        }
    return documents
