"""Data-subject rights over HTTP (P11): export, rectification, erasure, objection, certificates.
Support staff act on anyone's behalf; a requester (requester JWT) on themselves only. Routes only
translate: HTTP in, a call of the service layer (`rights`), a typed answer out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from services.retention import exports, rights
from services.retention.answers import (
    CertificateOut,
    ErasureIn,
    ErasureOut,
    ErasureProgressOut,
    ExportAccepted,
    ExportLinkOut,
    ExportOut,
    ExportStatusOut,
    KeptOut,
    PersonIn,
    RectificationAccepted,
    RectificationIn,
)
from services.retention.http import Ctx
from shared.tokens import Caller

router = APIRouter(tags=["data-subject rights"])
MAX_CERTIFICATE_WAIT_SECONDS = 30


@router.post("/privacy/exports", status_code=202, response_model=ExportAccepted)
async def request_export(body: PersonIn, who: Caller, ctx: Ctx) -> ExportAccepted:
    """Ask every service for what it holds on the person (access right)."""
    export_id = await exports.request_export(body.data_subject_id, who=who, ctx=ctx)
    return ExportAccepted(export_id=export_id, status="collecting")


@router.get("/privacy/exports/{export_id}", response_model=ExportStatusOut)
async def export_status(export_id: str, who: Caller, ctx: Ctx) -> ExportStatusOut:
    """Which services have answered; `ready` once all have (or the wait is over)."""
    found = await exports.export_status(export_id, who=who, ctx=ctx)
    return ExportStatusOut.model_validate(found, from_attributes=True)


@router.post("/privacy/exports/{export_id}/link", status_code=201, response_model=ExportLinkOut)
async def export_link(export_id: str, who: Caller, ctx: Ctx) -> ExportLinkOut:
    """A random download link, valid once and until it expires (a new one replaces it)."""
    token, expires_at = await exports.issue_export_link(export_id, who=who, ctx=ctx)
    return ExportLinkOut(download_url=f"/privacy/downloads/{token}", expires_at=expires_at)


@router.get("/privacy/downloads/{token}", response_model=ExportOut)
async def download(token: str, ctx: Ctx) -> Any:
    """The assembled export, once; the link itself is the credential."""
    return await exports.download_export(token, ctx=ctx)


@router.post("/privacy/rectifications", status_code=202, response_model=RectificationAccepted)
async def rectify(body: RectificationIn, who: Caller, ctx: Ctx) -> RectificationAccepted:
    """Publish corrected contact details for every service to apply."""
    rectification_id = await rights.request_rectification(
        body.data_subject_id, body.details, who=who, ctx=ctx
    )
    return RectificationAccepted(rectification_id=rectification_id, status="published")


@router.post("/privacy/erasures", response_model=ErasureOut)
async def erase_person(body: ErasureIn, who: Caller, ctx: Ctx) -> ErasureOut:
    """Erasure or objection: erase the person everywhere, keeping what must be kept."""
    decision = await rights.erase_person(
        body.data_subject_id, objection=body.right == "objection", who=who, ctx=ctx
    )
    return ErasureOut(
        erasure_id=decision.erasure_id,
        erased=decision.erasure_id is not None,
        kept=[KeptOut(kind=k.kind, id=k.id, ground=k.ground) for k in decision.kept],
        awaiting_organisation_decision=list(decision.awaits),
    )


@router.get("/privacy/erasures/{erasure_id}", response_model=ErasureProgressOut)
async def erasure_progress(erasure_id: str, who: Caller, ctx: Ctx) -> ErasureProgressOut:
    """Where an erasure stands: its state and which participants completed."""
    purge = await rights.erasure(erasure_id, who=who, ctx=ctx)
    return ErasureProgressOut(
        erasure_id=erasure_id,
        state=purge.state,
        completed=sorted(purge.participants),
        missing=list(purge.missing_participants),
        deadline=purge.deadline,
    )


@router.get("/privacy/certificates/{erasure_id}", response_model=CertificateOut)
async def deletion_certificate(
    erasure_id: str,
    who: Caller,
    ctx: Ctx,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=MAX_CERTIFICATE_WAIT_SECONDS,
            description="Seconds to wait for the certificate if it is not recorded yet "
            "(404 if it still is not): one request instead of asking again and again.",
        ),
    ] = 0,
) -> Any:
    """The deletion certificate: scope, ground, times, counts; no personal data."""
    return await rights.deletion_certificate(erasure_id, who=who, ctx=ctx, wait=wait)
