"""The support staff's console: the inbox with filters and paging, a request with its thread,
reply, status and sharing, its audit trail, legal holds, retention status and data-subject
requests. Every read goes through access with the staff member's own token (so it is audited),
and a colleague sees only what is shared with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from services.portal.api import ApiError
from services.portal.web import (
    Api,
    CookieJar,
    Renderer,
    Who,
    attachment_download,
    see_other,
    signed_in,
)

router = APIRouter(tags=["pages: staff"], default_response_class=HTMLResponse)

Csrf = Annotated[str, Form(max_length=100)]
Short = Annotated[str, Form(max_length=200)]
STATUSES = ("open", "pending", "resolved", "closed")
FILTERS = ("status", "channel", "organisation", "updated_since", "cursor")


def _now() -> str:
    return datetime.now(UTC).isoformat()


@router.get("/staff/inbox")
async def inbox(
    request: Request,
    who: Who,
    api: Api,
    pages: Renderer,
    limit: Annotated[int, Query(ge=1, le=200)] = 25,
) -> Response:
    token = signed_in(who, staff=True)
    params = {k: v for k in FILTERS if (v := request.query_params.get(k, "").strip())}
    if "updated_since" in params and "T" not in params["updated_since"]:
        params["updated_since"] += "T00:00:00+00:00"
    answer = await api.access.call(
        "GET", "/requests", token=token, params={**params, "limit": str(limit)}
    )
    following = answer.headers.get("x-next-cursor")
    next_query = None
    if following:
        next_query = "&".join(f"{k}={v}" for k, v in {**params, "cursor": following}.items())
    return pages.render(
        request,
        "staff_inbox.html",
        who,
        requests=answer.body,
        filters=params,
        next_query=next_query,
    )


@router.get("/staff/requests/{request_id}")
async def staff_request(
    request_id: str, request: Request, who: Who, api: Api, pages: Renderer
) -> Response:
    token = signed_in(who, staff=True)
    found = (await api.access.call("GET", f"/requests/{request_id}", token=token)).body
    grants = []
    if who.role == "support_staff":
        path = f"/requests/{request_id}/share-grants"
        grants = (await api.access.call("GET", path, token=token)).body
    changed = request.query_params.get("changed")
    notice = pages.text.status_changed.format(status=changed) if changed in STATUSES else None
    return pages.render(
        request, "staff_request.html", who, item=found, grants=grants, notice=notice, now=_now()
    )


@router.get("/staff/requests/{request_id}/attachments/{attachment_id}")
async def staff_attachment(request_id: str, attachment_id: str, who: Who, api: Api) -> Response:
    token = signed_in(who, staff=True)
    return await attachment_download(api, token, request_id, attachment_id)


@router.post("/staff/requests/{request_id}/reply")
async def staff_reply(
    request_id: str,
    request: Request,
    body: Annotated[str, Form(min_length=1, max_length=20_000)],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
) -> Response:
    cookies.check_form(request, csrf)
    await api.intake.call(
        "POST",
        f"/requests/{request_id}/messages",
        token=signed_in(who, staff=True),
        json={"body": body},
    )
    return see_other(f"/staff/requests/{request_id}")


@router.post("/staff/requests/{request_id}/status")
async def staff_status(
    request_id: str,
    request: Request,
    to_status: Annotated[str, Form(alias="status", max_length=20)],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    resolution: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    cookies.check_form(request, csrf)
    change = {"status": to_status, "resolution": resolution or None}
    moved = await api.intake.call(
        "POST", f"/requests/{request_id}/status", token=signed_in(who, staff=True), json=change
    )
    return see_other(f"/staff/requests/{request_id}?changed={moved.body['status']}")


@router.post("/staff/requests/{request_id}/share")
async def share(
    request_id: str,
    request: Request,
    colleague_id: Short,
    reason: Annotated[str, Form(min_length=3, max_length=500)],
    expires: Annotated[str, Form(max_length=40)],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
) -> Response:
    cookies.check_form(request, csrf)
    try:
        expires_at = datetime.fromisoformat(expires)
    except ValueError:
        raise ApiError(status.HTTP_422_UNPROCESSABLE_CONTENT, "expires") from None
    if expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    grant = await api.access.call(
        "POST",
        f"/requests/{request_id}/share-grants",
        token=signed_in(who, staff=True),
        json={"colleague_id": colleague_id, "reason": reason, "expires_at": expires_at.isoformat()},
    )
    return pages.render(request, "staff_grant.html", who, grant=grant.body)


@router.post("/staff/grants/{grant_id}/revoke")
async def revoke(
    grant_id: str, request: Request, csrf: Csrf, who: Who, api: Api, cookies: CookieJar
) -> Response:
    cookies.check_form(request, csrf)
    grant = await api.access.call(
        "DELETE", f"/share-grants/{grant_id}", token=signed_in(who, staff=True)
    )
    return see_other(f"/staff/requests/{grant.body['request_id']}")


@router.get("/staff/audit")
async def audit_trail(
    request: Request,
    who: Who,
    api: Api,
    pages: Renderer,
    request_id: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Who read a request, when and on what ground (admins: they audit, they do not read)."""
    token = signed_in(who, staff=True)
    reads = None
    if request_id:
        params = {"request_id": request_id}
        reads = (await api.access.call("GET", "/audit", token=token, params=params)).body
    return pages.render(request, "staff_audit.html", who, request_id=request_id, reads=reads)


@router.get("/staff/holds")
async def holds(request: Request, who: Who, api: Api, pages: Renderer) -> Response:
    token = signed_in(who, staff=True)
    found = (await api.retention.call("GET", "/retention/legal-holds", token=token)).body
    return pages.render(request, "staff_holds.html", who, holds=found)


@router.post("/staff/holds")
async def place_hold(
    request: Request,
    scope_kind: Annotated[str, Form(pattern="^(organisation|person|request)$")],
    scope_id: Short,
    reason: Annotated[str, Form(max_length=40)],
    case_reference: Short,
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
) -> Response:
    cookies.check_form(request, csrf)
    hold = {
        "scope": {"kind": scope_kind, "id": scope_id},
        "reason": reason,
        "case_reference": case_reference,
    }
    await api.retention.call(
        "POST", "/retention/legal-holds", token=signed_in(who, staff=True), json=hold
    )
    return see_other("/staff/holds")


@router.post("/staff/holds/{hold_id}/release")
async def release_hold(
    hold_id: str, request: Request, csrf: Csrf, who: Who, api: Api, cookies: CookieJar
) -> Response:
    cookies.check_form(request, csrf)
    await api.retention.call(
        "POST", f"/retention/legal-holds/{hold_id}/release", token=signed_in(who, staff=True)
    )
    return see_other("/staff/holds")


@router.get("/staff/retention")
async def retention(request: Request, who: Who, api: Api, pages: Renderer) -> Response:
    """Due soon, overdue, held back; erasures waiting; a certificate by erasure id."""
    token = signed_in(who, staff=True)
    overview = (await api.retention.call("GET", "/retention/status", token=token)).body
    certificate = None
    erasure_id = request.query_params.get("erasure", "").strip()
    if erasure_id:
        certificate = (
            await api.retention.call("GET", f"/privacy/certificates/{erasure_id}", token=token)
        ).body
    return pages.render(
        request, "staff_retention.html", who, overview=overview, certificate=certificate
    )


@router.get("/staff/data-subjects")
async def data_subjects(request: Request, who: Who, pages: Renderer) -> Response:
    signed_in(who, staff=True)
    return pages.render(request, "staff_data_subjects.html", who, decision=None)


@router.post("/staff/data-subjects/erasure")
async def erase_on_behalf(
    request: Request,
    person_id: Short,
    right: Annotated[str, Form(pattern="^(erasure|objection)$")],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
) -> Response:
    cookies.check_form(request, csrf)
    decision = await api.retention.call(
        "POST",
        "/privacy/erasures",
        token=signed_in(who, staff=True),
        json={"data_subject_id": person_id, "right": right},
    )
    return pages.render(request, "erasure.html", who, decision=decision.body)
