"""intake's HTTP API: the web channel's JSON endpoint, and messages and status changes."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.intake import handlers
from services.intake.domain import Message, ReceivedFile, StatusChangeRefused, SupportRequest
from services.intake.handlers import Matching
from services.intake.metrics import IntakeMetrics
from services.intake.ratelimit import TokenBuckets
from services.intake.repository import MongoIntakeUnitOfWork
from shared.clock import Clock
from shared.crypto import KeyStore, SealedPersonalData, unseal
from shared.downloads import verify_download_grant
from shared.events.intake import (
    AttachmentContent,
    AuthorRole,
    ContactDetails,
    RequestStatus,
    Resolution,
)
from shared.mongo import in_transaction, is_transient
from shared.tokens import Authenticator, Caller, InvalidTokenError, Principal
from shared.wiring import wired

log = logging.getLogger(__name__)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
WRITERS: dict[str, AuthorRole] = {"support_staff": "support_staff", "admin": "support_staff"}


class WebSubmission(BaseModel):
    """A request submitted through the web: P2 contact fields plus the request itself."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    full_name: Annotated[Text, StringConstraints(max_length=200)]
    email: EmailStr
    phone: (
        Annotated[str, StringConstraints(max_length=40, pattern=r"^\+?[0-9 ()\-.]{5,40}$")] | None
    ) = None
    company: Annotated[str, StringConstraints(max_length=200)] | None = None
    subject: Annotated[Text, StringConstraints(max_length=300)]
    body: Annotated[Text, StringConstraints(max_length=20_000)]


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


@dataclass(frozen=True)
class WebIntake:
    """What the web channel's endpoints need."""

    unit_of_work: Callable[[], AbstractAsyncContextManager[MongoIntakeUnitOfWork]]
    keys: KeyStore
    clock: Clock
    metrics: IntakeMetrics
    matching: Matching
    mail_domain: str
    limiter: TokenBuckets
    form_max_bytes: int
    """The HTML form's largest body."""

    def admit(self, request: Request) -> None:
        """429 when this client has used up its submissions for now."""
        client = request.client.host if request.client else "unknown"
        if not self.limiter.allow(client):
            self.metrics.rejected.labels(channel="web", reason="rate_limited").inc()
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                "too many submissions from this client; please wait and retry",
                headers={"Retry-After": str(self.limiter.retry_after(client))},
            )

    async def submit(
        self, submission: WebSubmission, *, files: tuple[ReceivedFile, ...] = ()
    ) -> SupportRequest:
        """Store a web submission as a request (503 if the store is away: nothing accepted)."""
        requester = ContactDetails(
            full_name=submission.full_name,
            email=submission.email,
            phone=submission.phone,
            company=submission.company,
        )

        async def store(uow: MongoIntakeUnitOfWork) -> handlers.Submitted:
            # a new contact's key is stored with the rest, and read once for both events
            async with self.keys.batch():
                return await handlers.submit_request(
                    channel="web",
                    requester=requester,
                    subject=submission.subject,
                    body=submission.body,
                    received_at=self.clock.now(),
                    uow=uow,
                    keys=self.keys,
                    matching=self.matching,
                    mail_domain=self.mail_domain,
                    files=files,
                )

        try:
            submitted = await in_transaction(self.unit_of_work, store)
        except Exception as error:
            away = is_transient(error)  # else a fault of ours: said by type only (no P2 data)
            reason = "unavailable" if away else "error"
            self.metrics.rejected.labels(channel="web", reason=reason).inc()
            if not away:
                log.error("web submission not stored", extra={"error": type(error).__name__})
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the request could not be stored right now; nothing was accepted, please retry",
            ) from error
        self.metrics.accepted.labels(channel="web").inc()
        return submitted.request


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
