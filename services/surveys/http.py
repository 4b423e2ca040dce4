"""surveys' HTTP API: the response and opt-out pages for people, results for support staff."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.surveys import responses
from services.surveys.domain import token_hash
from services.surveys.metrics import SurveyMetrics
from services.surveys.pages import OPT_OUT_PAGES, RESPONSE_PAGES, opt_out_form, survey_form
from services.surveys.repository import MongoSurveys
from services.surveys.responses import AlreadyAnsweredError, ResponseOutcome
from services.surveys.results import CsatResults, results_between
from shared.clock import Clock
from shared.crypto import KeyStore
from shared.look import page
from shared.mongo import in_transaction

UnitOfWork = Callable[[], AbstractAsyncContextManager[MongoSurveys]]
Token = Annotated[str, Field(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


class SurveyCandidateOut(BaseModel):
    request_id: str
    channel: str
    status: str
    received_at: datetime


class SurveyAnswer(BaseModel):
    """A response: score 1-5 and an optional comment (personal data: sealed in events)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    score: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=5_000)


class SurveyAnswerByToken(SurveyAnswer):
    token: Token


class DecisionOut(BaseModel):
    invitation_id: str
    request_id: str
    state: str
    reason: str
    resolved_at: datetime
    due_at: datetime | None
    sent_at: datetime | None


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode(errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def surveys_router(
    *, staff: Any, unit_of_work: UnitOfWork, keys: KeyStore, clock: Clock, metrics: SurveyMetrics
) -> APIRouter:
    router = APIRouter(tags=["surveys"])

    async def answer(token: str, given: SurveyAnswer) -> ResponseOutcome:
        try:
            outcome = await in_transaction(
                unit_of_work,
                lambda uow: responses.record_response(
                    token=token,
                    score=given.score,
                    comment=given.comment or None,
                    uow=uow,
                    keys=keys,
                    clock=clock,
                ),
            )
        except AlreadyAnsweredError:
            return "already_answered"
        if outcome == "recorded":
            async with unit_of_work() as uow:
                invitation = await uow.invitations.by_token(
                    field="response_token_hash", hashed=token_hash(token)
                )
            channel = invitation.channel if invitation else "unknown"
            metrics.responses.labels(channel=channel, score=str(given.score)).inc()
        return outcome

    @router.get("/surveys/candidates/{request_id}", response_model=SurveyCandidateOut)
    async def survey_candidate(request_id: str, _role: str = staff) -> SurveyCandidateOut:
        """Whether surveys watches a request for its resolution."""
        async with unit_of_work() as uow:
            candidate = await uow.candidates.get(request_id)
        if candidate is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "surveys does not know that request")
        return SurveyCandidateOut.model_validate(candidate, from_attributes=True)

    @router.get("/surveys/decisions", response_model=list[DecisionOut])
    async def survey_decisions(request_id: str, _role: str = staff) -> list[DecisionOut]:
        """Every survey decision about a request, with its reason (ids only)."""
        async with unit_of_work() as uow:
            found = await uow.invitations.for_request(request_id)
        return [DecisionOut.model_validate(i, from_attributes=True) for i in found]

    @router.get("/surveys/results", response_model=CsatResults)
    async def survey_results(
        since: Annotated[datetime | None, Query()] = None,
        until: Annotated[datetime | None, Query()] = None,
        _role: str = staff,
    ) -> CsatResults:
        """CSAT (share of 4-5) overall, per channel, per organisation; default: last 30 days."""
        end = until or clock.now()
        return await results_between(
            unit_of_work, since=since or end - timedelta(days=30), until=end
        )

    @router.get("/surveys/respond/{token}", response_class=HTMLResponse)
    async def survey_page(token: str) -> HTMLResponse:
        """The survey form, if the link still takes an answer."""
        async with unit_of_work() as uow:
            outcome, _ = await responses.answerable(token=token, uow=uow, clock=clock)
        if outcome == "recorded":
            return HTMLResponse(survey_form(f"/surveys/respond/{token}"))
        code, title, text = RESPONSE_PAGES[outcome]
        return HTMLResponse(page(title, text), status_code=code)

    @router.post("/surveys/respond/{token}", response_class=HTMLResponse)
    async def survey_form_posted(token: str, request: Request) -> HTMLResponse:
        """The form's answer (application/x-www-form-urlencoded)."""
        try:
            given = SurveyAnswer.model_validate(await _form(request))
        except ValidationError as error:
            raise RequestValidationError(error.errors()) from None
        code, title, text = RESPONSE_PAGES[await answer(token, given)]
        return HTMLResponse(page(title, text), status_code=code)

    @router.post("/surveys/responses", status_code=status.HTTP_201_CREATED)
    async def survey_response(given: SurveyAnswerByToken) -> JSONResponse:
        """The same answer as JSON: 201, or 404 unknown / 409 answered / 410 expired link."""
        outcome = await answer(given.token, given)
        code, title, _ = RESPONSE_PAGES[outcome]
        return JSONResponse(
            {"status": outcome, "detail": title}, status_code=201 if code == 200 else code
        )

    @router.get("/surveys/opt-out/{token}", response_class=HTMLResponse)
    async def opt_out_page(token: str) -> HTMLResponse:
        """A confirmation page (a GET never opts out: mail scanners follow links)."""
        return HTMLResponse(opt_out_form(f"/surveys/opt-out/{token}"))

    @router.post("/surveys/opt-out/{token}", response_class=HTMLResponse)
    async def opt_out(token: str) -> HTMLResponse:
        """RFC 8058 one-click opt-out (`List-Unsubscribe=One-Click`), also the page's button."""
        outcome, cancelled = await in_transaction(
            unit_of_work, lambda uow: responses.opt_out(token=token, uow=uow, clock=clock)
        )
        if outcome == "opted_out":
            metrics.opt_outs.inc()
            metrics.decisions.labels(reason="opted_out").inc(cancelled)
        code, title, text = OPT_OUT_PAGES[outcome]
        return HTMLResponse(page(title, text), status_code=code)

    return router
