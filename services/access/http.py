"""access's HTTP API for requests: list and detail filtered by visibility, grants, the audit."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from services.access import handlers, reads
from services.access.audit_log import MongoAuditLog
from services.access.domain import RequestFilters, RequestView, administers
from services.access.metrics import AccessMetrics
from services.access.repository import InvalidCursorError, encode_cursor
from services.access.unit_of_work import UnitOfWorkFactory
from shared.clock import Clock, StoredTime
from shared.downloads import issue_download_grant
from shared.events.intake import Channel, RequestStatus
from shared.mongo import in_transaction
from shared.tokens import Caller, KeyRing
from shared.wiring import wired

NOT_FOUND = "no such request"


class AttachmentOut(BaseModel):
    attachment_id: str
    filename: str | None
    media_type: str
    size: int
    kept: bool


class MessageOut(BaseModel):
    message_id: str
    author_role: str
    added_at: datetime
    body: str | None
    attachments: list[AttachmentOut] = []
    correspondent_id: str | None = None
    """The contact who wrote it, when not the requester (copied in, or replying): the id a
    data-subject request about them names (P11)."""


class DownloadGrantOut(BaseModel):
    """Where intake serves the file to whoever presents this grant, and until when."""

    download_path: str
    expires_at: datetime


class RequestOut(BaseModel):
    request_id: str
    reference: str
    channel: str
    status: str
    lawful_basis: str
    organisation_id: str | None
    requester_id: str
    received_at: datetime
    updated_at: datetime
    requester_name: str | None
    requester_email: str | None
    subject: str | None
    body: str | None
    messages: list[MessageOut]
    attachments: list[AttachmentOut] = []

    @classmethod
    def of(cls, view: RequestView) -> RequestOut:
        return cls.model_validate(view, from_attributes=True)


class ShareRequest(BaseModel):
    """Share one request with a colleague: who, why, until when."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    colleague_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=3, max_length=500)
    expires_at: StoredTime


class GrantOut(BaseModel):
    grant_id: str
    request_id: str
    colleague_id: str
    granted_by: str
    granted_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class AuditOut(BaseModel):
    audit_id: str
    reader_id: str
    reader_role: str
    request_id: str
    ground: str
    grant_id: str | None
    organisation_id: str | None
    read_at: datetime


@dataclass(frozen=True)
class AccessHttp:
    """What these routes need, wired by create_app."""

    unit_of_work: UnitOfWorkFactory
    audited_read: UnitOfWorkFactory
    audit: MongoAuditLog
    clock: Clock
    metrics: AccessMetrics
    token_keys: KeyRing


Ctx = Annotated[AccessHttp, Depends(wired(AccessHttp))]

router = APIRouter(tags=["requests"])


@router.get("/requests", response_model=list[RequestOut])
async def list_requests(
    ctx: Ctx,
    response: Response,
    caller: Caller,
    status_: Annotated[RequestStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    organisation: Annotated[str | None, Query(max_length=100)] = None,
    updated_since: StoredTime | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RequestOut]:
    """Requests the caller may read, newest first; the next page's cursor in X-Next-Cursor."""
    filters = RequestFilters(
        status=status_,
        channel=channel,
        organisation_id=organisation,
        updated_since=updated_since,
    )
    try:
        async with ctx.audited_read() as uow:
            views = await reads.list_requests(
                principal=caller,
                filters=filters,
                cursor=cursor,
                limit=limit,
                uow=uow,
                clock=ctx.clock,
            )
    except InvalidCursorError:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            [{"field": "cursor", "rule": "invalid_cursor", "message": "unknown cursor"}],
        ) from None
    if len(views) == limit:
        response.headers["X-Next-Cursor"] = encode_cursor(views[-1])
    ctx.metrics.reads.labels(reader_role=caller.role).inc(len(views))
    return [RequestOut.of(view) for view in views]


@router.get("/requests/{request_id}", response_model=RequestOut)
async def read_request(ctx: Ctx, request_id: str, caller: Caller) -> RequestOut:
    """One request; a request the caller may not read is simply not found."""
    try:
        async with ctx.audited_read() as uow:
            view = await reads.read_request(request_id, principal=caller, uow=uow, clock=ctx.clock)
    except handlers.NotFoundError:
        ctx.metrics.denials.labels(reason="request").inc()
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
    ctx.metrics.reads.labels(reader_role=caller.role).inc()
    return RequestOut.of(view)


@router.post(
    "/requests/{request_id}/attachments/{attachment_id}/download-grant",
    response_model=DownloadGrantOut,
    status_code=status.HTTP_201_CREATED,
)
async def grant_download(
    ctx: Ctx, request_id: str, attachment_id: str, caller: Caller
) -> DownloadGrantOut:
    """A short-lived grant to download one kept file of a request the caller may read; the
    read is audited like any other. intake serves the file to whoever presents the grant."""
    try:
        async with ctx.audited_read() as uow:
            view = await reads.read_request(request_id, principal=caller, uow=uow, clock=ctx.clock)
    except handlers.NotFoundError:
        ctx.metrics.denials.labels(reason="request").inc()
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
    found = view.attachment(attachment_id)
    if found is None or not found.kept:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such file kept with this request")
    grant, expires_at = issue_download_grant(
        attachment_id, reader_id=caller.principal_id, keys=ctx.token_keys, now=ctx.clock.now()
    )
    return DownloadGrantOut(
        download_path=f"/attachments/{attachment_id}?grant={grant}", expires_at=expires_at
    )


@router.post(
    "/requests/{request_id}/share-grants",
    response_model=GrantOut,
    status_code=status.HTTP_201_CREATED,
)
async def share_request(
    ctx: Ctx, request_id: str, share: Annotated[ShareRequest, Body()], caller: Caller
) -> GrantOut:
    """Support staff share one request with a colleague, with a reason, until an expiry."""
    try:
        grant = await in_transaction(
            ctx.unit_of_work,
            lambda uow: handlers.share_request(
                request_id,
                colleague_id=share.colleague_id,
                reason=share.reason,
                expires_at=share.expires_at,
                principal=caller,
                uow=uow,
                clock=ctx.clock,
            ),
        )
    except handlers.NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
    except handlers.RejectedError as error:
        raise _rejected(error) from None
    ctx.metrics.grants.labels(change="granted").inc()
    return GrantOut.model_validate(grant, from_attributes=True)


@router.get("/requests/{request_id}/share-grants", response_model=list[GrantOut])
async def request_grants(ctx: Ctx, request_id: str, caller: Caller) -> list[GrantOut]:
    """Support staff: who a request is or was shared with, newest first (ids only)."""
    try:
        async with ctx.audited_read() as uow:
            grants = await handlers.grants_of(request_id, principal=caller, uow=uow)
    except handlers.NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NOT_FOUND) from None
    return [GrantOut.model_validate(grant, from_attributes=True) for grant in grants]


@router.delete("/share-grants/{grant_id}", response_model=GrantOut)
async def revoke_grant(ctx: Ctx, grant_id: str, caller: Caller) -> GrantOut:
    """Support staff revoke a share grant before it expires."""
    try:
        grant = await in_transaction(
            ctx.unit_of_work,
            lambda uow: handlers.revoke_grant(grant_id, principal=caller, uow=uow, clock=ctx.clock),
        )
    except handlers.NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such grant") from None
    ctx.metrics.grants.labels(change="revoked").inc()
    return GrantOut.model_validate(grant, from_attributes=True)


@router.get("/audit", response_model=list[AuditOut])
async def read_audit(
    ctx: Ctx,
    caller: Caller,
    request_id: Annotated[str | None, Query(max_length=100)] = None,
    reader_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    """Admins: who read which request, when, on which ground (ids only); a row per request
    read, newest reads first (a listed page is one read with a row per request on it)."""
    if not administers(caller):
        ctx.metrics.denials.labels(reason="audit").inc()
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    found = await ctx.audit.query(request_id=request_id, reader_id=reader_id, limit=limit)
    rows = [
        AuditOut(
            audit_id=read.audit_id,
            reader_id=read.reader_id,
            reader_role=read.reader_role,
            read_at=read.read_at,
            **asdict(request),
        )
        for read in found
        for request in read.requests
    ]
    return rows[:limit]


def _rejected(error: handlers.RejectedError) -> HTTPException:
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        [{"field": error.field, "rule": error.rule, "message": "breaks a rule"}],
    )
