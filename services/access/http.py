"""access's HTTP API: reads of requests, filtered by who may read them, every read audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel

from services.access import handlers
from services.access.domain import Reader, RequestView
from shared.clock import Clock


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

    @classmethod
    def of(cls, view: RequestView) -> RequestOut:
        return cls.model_validate(view, from_attributes=True)


def access_router(
    *,
    staff: Any,
    read_model: handlers.RequestReadModel,
    audit: handlers.AuditLog,
    clock: Clock,
) -> APIRouter:
    router = APIRouter(tags=["requests"])

    @router.get("/requests", response_model=list[RequestOut], dependencies=[])
    async def list_requests(
        reader_role: str = staff, limit: int = Query(default=50, ge=1, le=500)
    ) -> list[RequestOut]:
        """List requests the caller may read, newest first."""
        reader = Reader(reader_id="staff-token", ground="support_staff")
        views = await handlers.list_requests(
            reader=reader, read_model=read_model, audit=audit, clock=clock, limit=limit
        )
        return [RequestOut.of(view) for view in views]

    @router.get("/requests/{request_id}", response_model=RequestOut)
    async def read_request(request_id: str, reader_role: str = staff) -> RequestOut:
        """Read one request; a request the caller may not read is simply not found."""
        reader = Reader(reader_id="staff-token", ground="support_staff")
        view = await handlers.read_request(
            request_id, reader=reader, read_model=read_model, audit=audit, clock=clock
        )
        if view is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such request")
        return RequestOut.of(view)

    return router
