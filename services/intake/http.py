"""intake's HTTP API: the web channel."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Annotated

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from services.intake import handlers
from services.intake.metrics import IntakeMetrics
from services.intake.repository import MongoIntakeUnitOfWork
from shared.clock import Clock
from shared.crypto import KeyStore
from shared.events.intake import ContactDetails

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


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


def intake_router(
    *,
    unit_of_work: Callable[[], AbstractAsyncContextManager[MongoIntakeUnitOfWork]],
    keys: KeyStore,
    clock: Clock,
    metrics: IntakeMetrics,
) -> APIRouter:
    router = APIRouter(tags=["web channel"])

    @router.post(
        "/requests",
        status_code=status.HTTP_202_ACCEPTED,
        response_model=SubmissionAccepted,
        responses={422: {"description": "A field broke a rule; the body names field and rule."}},
    )
    async def submit_web_request(submission: WebSubmission) -> SubmissionAccepted:
        """Submit a support request through the web channel."""
        requester = ContactDetails(
            full_name=submission.full_name,
            email=submission.email,
            phone=submission.phone,
            company=submission.company,
        )
        try:
            async with unit_of_work() as uow:
                request = await handlers.submit_request(
                    channel="web",
                    requester=requester,
                    subject=submission.subject,
                    body=submission.body,
                    uow=uow,
                    keys=keys,
                    clock=clock,
                )
        except Exception as error:
            metrics.rejected.labels(channel="web", reason="unavailable").inc()
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the request could not be stored right now; nothing was accepted, please retry",
            ) from error
        metrics.accepted.labels(channel="web").inc()
        return SubmissionAccepted(request_id=request.request_id, reference=request.reference)

    return router
