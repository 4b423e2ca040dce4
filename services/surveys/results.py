"""CSAT over time windows: overall, per channel and per organisation; served and exported."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, timedelta

from pydantic import BaseModel

from services.surveys.domain import csat
from services.surveys.metrics import SurveyMetrics
from services.surveys.repository import MongoSurveysUnitOfWork
from services.surveys.responses import RecordedResponse
from shared.clock import Clock

log = logging.getLogger(__name__)

METRIC_WINDOWS = {"7d": timedelta(days=7), "30d": timedelta(days=30), "365d": timedelta(days=365)}


class CsatFigure(BaseModel):
    responses: int
    satisfied: int
    csat: float | None


class CsatResults(BaseModel):
    since: datetime
    until: datetime
    overall: CsatFigure
    by_channel: dict[str, CsatFigure]
    by_organisation: dict[str, CsatFigure]


def _figure(scores: Iterable[int]) -> CsatFigure:
    summary = csat(scores)
    return CsatFigure(responses=summary.responses, satisfied=summary.satisfied, csat=summary.score)


def csat_results(
    responses: list[RecordedResponse], *, since: datetime, until: datetime
) -> CsatResults:
    """CSAT (share of 4-5) of the responses given in [since, until]."""
    by_channel: dict[str, list[int]] = defaultdict(list)
    by_organisation: dict[str, list[int]] = defaultdict(list)
    for response in responses:
        by_channel[response.channel].append(response.score)
        if response.organisation_id:
            by_organisation[response.organisation_id].append(response.score)
    return CsatResults(
        since=since,
        until=until,
        overall=_figure(r.score for r in responses),
        by_channel={k: _figure(v) for k, v in sorted(by_channel.items())},
        by_organisation={k: _figure(v) for k, v in sorted(by_organisation.items())},
    )


async def results_between(
    unit_of_work: Callable[[], AbstractAsyncContextManager[MongoSurveysUnitOfWork]],
    *,
    since: datetime,
    until: datetime,
) -> CsatResults:
    async with unit_of_work() as uow:
        responses = await uow.responses.between(since=since, until=until)
    return csat_results(responses, since=since, until=until)


async def refresh_metrics(
    *,
    unit_of_work: Callable[[], AbstractAsyncContextManager[MongoSurveysUnitOfWork]],
    metrics: SurveyMetrics,
    clock: Clock,
) -> None:
    """Set the CSAT gauges for each trailing window, ending now."""
    now = clock.now()
    for window, length in METRIC_WINDOWS.items():
        results = await results_between(unit_of_work, since=now - length, until=now)
        for channel, figure in [("all", results.overall), *results.by_channel.items()]:
            metrics.csat_responses.labels(window=window, channel=channel).set(figure.responses)
            if figure.csat is not None:
                metrics.csat.labels(window=window, channel=channel).set(figure.csat)
        for organisation_id, figure in results.by_organisation.items():
            if figure.csat is not None:
                metrics.csat_by_organisation.labels(
                    window=window, organisation_id=organisation_id
                ).set(figure.csat)


async def keep_metrics_fresh(
    *,
    unit_of_work: Callable[[], AbstractAsyncContextManager[MongoSurveysUnitOfWork]],
    metrics: SurveyMetrics,
    clock: Clock,
    every_seconds: float,
) -> None:
    """Background task: refresh the CSAT gauges periodically; store outages are waited out."""
    while True:
        try:
            await refresh_metrics(unit_of_work=unit_of_work, metrics=metrics, clock=clock)
        except Exception as error:
            log.warning("csat refresh failed", extra={"error": type(error).__name__})
        await asyncio.sleep(every_seconds)
