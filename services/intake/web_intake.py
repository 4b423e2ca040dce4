"""The web channel's submissions: what a person sends (P2 fields and the request), the rate
limit per client, and the one transaction that stores it (or 503, nothing accepted)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints

from services.intake import handlers
from services.intake.domain import ReceivedFile, SupportRequest
from services.intake.handlers import Matching
from services.intake.metrics import IntakeMetrics
from services.intake.ratelimit import TokenBuckets
from services.intake.repository import MongoIntakeUnitOfWork
from shared.clock import Clock
from shared.crypto import KeyStore
from shared.events.intake import ContactDetails
from shared.mongo import in_transaction, is_transient

log = logging.getLogger(__name__)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Text a person typed: surrounding whitespace stripped, never empty."""


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
            # a new contact's key is stored with the rest (in the same bulkWrite), and read
            # once for both events
            async with self.keys.batch(uow.held_writes()):
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
