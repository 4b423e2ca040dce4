"""intake's HTTP API: the web channel's JSON endpoint, and messages and status changes."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.intake import handlers
from services.intake.domain import Message, StatusChangeRefused, SupportRequest
from services.intake.repository import MongoIntakeUnitOfWork
from services.intake.web_intake import Text, WebIntake, WebSubmission
from shared.crypto import SealedPersonalData, unseal
from shared.downloads import verify_download_grant
from shared.events.intake import (
    AttachmentContent,
    AuthorRole,
    ContactDetails,
    RequestStatus,
    Resolution,
)
from shared.mongo import in_transaction
from shared.tokens import Authenticator, Caller, InvalidTokenError, Principal
from shared.wiring import wired

WRITERS: dict[str, AuthorRole] = {"support_staff": "support_staff", "admin": "support_staff"}


class SubmissionAccepted(BaseModel):
    request_id: str
    reference: str
    status: str = Field(default="open")


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Annotated[Text, StringConstraints(max_length=20_000)]


class MessageAccepted(BaseModel):
    message_id: str
    request_id: str


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: RequestStatus
    resolution: Resolution | None = None


class RequestState(BaseModel):
    request_id: str
    status: RequestStatus
    resolution: Resolution | None


def _author(
    principal: Principal, request: SupportRequest | None
) -> tuple[SupportRequest, AuthorRole]:
    """The request and the caller's role on it, or 404 (not 403: others' requests stay unseen)."""
    if request is not None:
        if principal.role in WRITERS:
            return request, WRITERS[principal.role]
        if principal.role == "requester" and principal.principal_id == request.requester_id:
            return request, "requester"
    raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request of yours")


def _refused(error: StatusChangeRefused) -> HTTPException:
    field, _, message = str(error).partition(": ")
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"field": field, "rule": "status_transition", "message": message}],
    )


Web = Annotated[WebIntake, Depends(wired(WebIntake))]
"""A route's `web: Web` is the app's web channel (stores, keys, clock, limits)."""
Auth = Annotated[Authenticator, Depends(wired(Authenticator))]
"""The app's token keys, here to check access's download grants."""

router = APIRouter(tags=["web channel"])

problems: dict[int | str, dict[str, Any]] = {
    422: {"description": "A field broke a rule; the body names field and rule."}
}


@router.post(
    "/requests",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=SubmissionAccepted,
    responses={**problems, 429: {"description": "Rate limit for this client reached."}},
)
async def submit_web_request(
    web: Web, submission: WebSubmission, request: Request
) -> SubmissionAccepted:
    """Submit a support request through the web channel."""
    web.admit(request)
    stored = await web.submit(submission)
    return SubmissionAccepted(request_id=stored.request_id, reference=stored.reference)


@router.post(
    "/requests/{request_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageAccepted,
    responses=problems,
)
async def add_message(
    web: Web, request_id: str, message: NewMessage, caller: Caller
) -> MessageAccepted:
    """Add a message to a request (support staff, or the requester on their own request)."""

    async def add(uow: MongoIntakeUnitOfWork) -> Message:
        found, role = _author(caller, await uow.requests.get(request_id))
        return await handlers.add_message(
            request=found,
            body=message.body,
            channel=found.channel,
            author_role=role,
            author_id=caller.principal_id,
            at=web.clock.now(),
            uow=uow,
            keys=web.keys,
        )

    added = await in_transaction(web.unit_of_work, add)
    return MessageAccepted(message_id=added.message_id, request_id=request_id)


@router.post("/requests/{request_id}/status", response_model=RequestState, responses=problems)
async def change_status(
    web: Web, request_id: str, change: StatusChange, caller: Caller
) -> RequestState:
    """Move a request between open, pending, resolved (with a resolution) and closed."""

    async def move(uow: MongoIntakeUnitOfWork) -> SupportRequest:
        found, role = _author(caller, await uow.requests.get(request_id))
        return await handlers.set_status(
            request=found,
            to_status=change.status,
            resolution=change.resolution,
            by_role=role,
            by_id=caller.principal_id,
            at=web.clock.now(),
            uow=uow,
        )

    try:
        updated = await in_transaction(web.unit_of_work, move)
    except StatusChangeRefused as error:
        raise _refused(error) from None
    return RequestState(request_id=request_id, status=updated.status, resolution=updated.resolution)


@router.get(
    "/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file."},
        403: {"description": "No valid download grant for this attachment."},
        410: {"description": "The file is gone (erased) or was never kept."},
    },
)
async def download_attachment(
    web: Web, auth: Auth, attachment_id: str, grant: Annotated[str, Query(max_length=4000)]
) -> Response:
    """A kept file, to whoever presents access's grant for it (access checked and audited the
    read); served as a download, never rendered."""
    try:
        granted = verify_download_grant(grant, keys=auth.keys, now=web.clock.now())
    except InvalidTokenError:
        granted = None
    if granted != attachment_id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "no valid download grant for this file")
    async with web.unit_of_work() as uow:
        found = await uow.attachments.get(attachment_id)
    opened = None
    if found is not None:
        sealed = SealedPersonalData.model_validate(found["content"])
        opened = await unseal(sealed, AttachmentContent, keys=web.keys)
    if found is None or opened is None:
        raise HTTPException(status.HTTP_410_GONE, "this file is gone")
    name = quote(found.get("filename") or "attachment", safe="")
    return Response(
        base64.b64decode(opened.content_base64),
        media_type=found["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/contacts/me",
    response_model=ContactDetails,
    responses={404: {"description": "The token names no requester that intake knows."}},
)
async def my_contact_details(web: Web, caller: Caller) -> ContactDetails:
    """A requester's own contact details as intake keeps them (P2), to see and correct."""
    contact = None
    if caller.role == "requester":
        async with web.unit_of_work() as uow:
            contact = await uow.contacts.get(caller.principal_id)
    if contact is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no contact details of yours")
    return contact.details
