"""surveys' HTTP API: the response and opt-out pages for people, results for support staff."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.surveys import responses
from services.surveys.domain import token_hash
from services.surveys.metrics import SurveyMetrics
from services.surveys.pages import OPT_OUT_PAGES, RESPONSE_PAGES, opt_out_form, survey_form
from services.surveys.repository import MongoSurveysUnitOfWork
from services.surveys.responses import AlreadyAnsweredError, ResponseOutcome
from services.surveys.results import CsatResults, results_between
from shared.clock import Clock, StoredTime
from shared.crypto import KeyStore
from shared.look import page
from shared.mongo import in_transaction
from shared.tokens import Caller, Principal
from shared.wiring import wired

UnitOfWork = Callable[[], AbstractAsyncContextManager[MongoSurveysUnitOfWork]]
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


@dataclass(frozen=True)
class SurveysHttp:
    """What these routes need, wired by create_app."""

    unit_of_work: UnitOfWork
    keys: KeyStore
    clock: Clock
    metrics: SurveyMetrics


Ctx = Annotated[SurveysHttp, Depends(wired(SurveysHttp))]


async def _staff_only(who: Caller) -> Principal:
    """Results and decisions are for support staff and admins (403 for anyone else)."""
    if who.role not in ("support_staff", "admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "support staff or admin role required")
    return who


StaffOnly = Annotated[Principal, Depends(_staff_only)]


class AnswerOut(BaseModel):
    """What became of an answer: recorded, or why not (unknown, answered, expired link)."""

    status: ResponseOutcome
    detail: str


PAGE: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
PAGE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    404: {"description": "A page: the link is not valid.", "content": PAGE},
    409: {"description": "A page: the survey was answered already.", "content": PAGE},
    410: {"description": "A page: the link has expired.", "content": PAGE},
}


router = APIRouter(tags=["surveys"])


async def answer(ctx: SurveysHttp, token: str, given: SurveyAnswer) -> ResponseOutcome:
    try:
        outcome = await in_transaction(
            ctx.unit_of_work,
            lambda uow: responses.record_response(
                token=token,
                score=given.score,
                comment=given.comment or None,
                uow=uow,
                keys=ctx.keys,
                clock=ctx.clock,
            ),
        )
    except AlreadyAnsweredError:
        return "already_answered"
    if outcome == "recorded":
        async with ctx.unit_of_work() as uow:
            invitation = await uow.invitations.by_token(
                field="response_token_hash", hashed=token_hash(token)
            )
        channel = invitation.channel if invitation else "unknown"
        ctx.metrics.responses.labels(channel=channel, score=str(given.score)).inc()
    return outcome


@router.get("/surveys/candidates/{request_id}", response_model=SurveyCandidateOut)
async def survey_candidate(ctx: Ctx, _staff: StaffOnly, request_id: str) -> SurveyCandidateOut:
    """Whether surveys watches a request for its resolution."""
    async with ctx.unit_of_work() as uow:
        candidate = await uow.candidates.get(request_id)
    if candidate is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "surveys does not know that request")
    return SurveyCandidateOut.model_validate(candidate, from_attributes=True)


@router.get("/surveys/decisions", response_model=list[DecisionOut])
async def survey_decisions(ctx: Ctx, _staff: StaffOnly, request_id: str) -> list[DecisionOut]:
    """Every survey decision about a request, with its reason (ids only)."""
    async with ctx.unit_of_work() as uow:
        found = await uow.invitations.for_request(request_id)
    return [DecisionOut.model_validate(i, from_attributes=True) for i in found]


@router.get("/surveys/results", response_model=CsatResults)
async def survey_results(
    ctx: Ctx,
    _staff: StaffOnly,
    since: Annotated[StoredTime | None, Query()] = None,
    until: Annotated[StoredTime | None, Query()] = None,
) -> CsatResults:
    """CSAT (share of 4-5) overall, per channel, per organisation; default: last 30 days."""
    end = until or ctx.clock.now()
    return await results_between(
        ctx.unit_of_work, since=since or end - timedelta(days=30), until=end
    )


@router.get("/surveys/respond/{token}", response_class=HTMLResponse, responses=PAGE_PROBLEMS)
async def survey_page(ctx: Ctx, token: str) -> HTMLResponse:
    """The survey form, if the link still takes an answer."""
    async with ctx.unit_of_work() as uow:
        outcome, _ = await responses.answerable(token=token, uow=uow, clock=ctx.clock)
    if outcome == "recorded":
        return HTMLResponse(survey_form(f"/surveys/respond/{token}"))
    code, title, text = RESPONSE_PAGES[outcome]
    return HTMLResponse(page(title, text), status_code=code)


@router.post("/surveys/respond/{token}", response_class=HTMLResponse, responses=PAGE_PROBLEMS)
async def survey_form_posted(ctx: Ctx, token: str, request: Request) -> HTMLResponse:
    """The form's answer (application/x-www-form-urlencoded)."""
    try:
        given = SurveyAnswer.model_validate(await _form(request))
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    code, title, text = RESPONSE_PAGES[await answer(ctx, token, given)]
    return HTMLResponse(page(title, text), status_code=code)


@router.post(
    "/surveys/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=AnswerOut,
    responses={404: {"model": AnswerOut}, 409: {"model": AnswerOut}, 410: {"model": AnswerOut}},
)
async def survey_response(ctx: Ctx, given: SurveyAnswerByToken, response: Response) -> AnswerOut:
    """The same answer as JSON: 201, or 404 unknown / 409 answered / 410 expired link."""
    outcome = await answer(ctx, given.token, given)
    code, title, _ = RESPONSE_PAGES[outcome]
    if code != 200:
        response.status_code = code
    return AnswerOut(status=outcome, detail=title)


@router.get("/surveys/opt-out/{token}", response_class=HTMLResponse)
async def opt_out_page(token: str) -> HTMLResponse:
    """A confirmation page (a GET never opts out: mail scanners follow links)."""
    return HTMLResponse(opt_out_form(f"/surveys/opt-out/{token}"))


@router.post(
    "/surveys/opt-out/{token}", response_class=HTMLResponse, responses={404: PAGE_PROBLEMS[404]}
)
async def opt_out(ctx: Ctx, token: str) -> HTMLResponse:
    """RFC 8058 one-click opt-out (`List-Unsubscribe=One-Click`), also the page's button."""
    outcome, cancelled = await in_transaction(
        ctx.unit_of_work, lambda uow: responses.opt_out(token=token, uow=uow, clock=ctx.clock)
    )
    if outcome == "opted_out":
        ctx.metrics.opt_outs.inc()
        ctx.metrics.decisions.labels(reason="opted_out").inc(cancelled)
    code, title, text = OPT_OUT_PAGES[outcome]
    return HTMLResponse(page(title, text), status_code=code)
