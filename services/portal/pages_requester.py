"""The requester's pages (P3, P6, P11): my requests and their thread, reply, profile picture, and
my data (export, correction, erasure or objection, and what is kept and why)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse, Response

from services.portal.api import ApiError, Services
from services.portal.web import (
    Api,
    CookieJar,
    Renderer,
    Who,
    attachment_download,
    see_other,
    signed_in,
)

router = APIRouter(tags=["pages: requester"], default_response_class=HTMLResponse)

Csrf = Annotated[str, Form(max_length=100)]
PICTURE_MAX_BYTES = 2_000_000


@router.get("/my/requests")
async def my_requests(request: Request, who: Who, api: Api, pages: Renderer) -> Response:
    """Every request the person may read: their own, and (as an official contact) their
    organisation's, marked as such."""
    token = signed_in(who)
    found = (await api.access.call("GET", "/requests", token=token)).body
    return pages.render(request, "my_requests.html", who, requests=found)


@router.get("/my/requests/{request_id}")
async def my_request(
    request_id: str, request: Request, who: Who, api: Api, pages: Renderer
) -> Response:
    token = signed_in(who)
    found = (await api.access.call("GET", f"/requests/{request_id}", token=token)).body
    notice = pages.text.reply_sent if request.query_params.get("replied") else None
    return pages.render(request, "my_request.html", who, item=found, notice=notice)


@router.get("/my/requests/{request_id}/attachments/{attachment_id}")
async def my_attachment(request_id: str, attachment_id: str, who: Who, api: Api) -> Response:
    return await attachment_download(api, signed_in(who), request_id, attachment_id)


@router.post("/my/requests/{request_id}/reply")
async def reply(
    request_id: str,
    request: Request,
    body: Annotated[str, Form(min_length=1, max_length=20_000)],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
) -> Response:
    cookies.check_form(request, csrf)
    token = signed_in(who)
    await api.intake.call(
        "POST", f"/requests/{request_id}/messages", token=token, json={"body": body}
    )
    return see_other(f"/my/requests/{request_id}?replied=1")


async def my_details(api: Services, token: str) -> dict[str, Any] | None:
    """The person's contact details as intake keeps them (None for a person intake never met)."""
    try:
        return dict((await api.intake.call("GET", "/contacts/me", token=token)).body)
    except ApiError as error:
        if error.status == status.HTTP_404_NOT_FOUND:
            return None
        raise


@router.get("/my/profile")
async def profile(request: Request, who: Who, api: Api, pages: Renderer) -> Response:
    details = await my_details(api, signed_in(who))
    return pages.render(request, "profile.html", who, details=details)


@router.get("/my/profile/picture")
async def picture(who: Who, api: Api) -> Response:
    """The person's own picture, for the preview."""
    answer = await api.access.call("GET", "/me/picture", token=signed_in(who))
    media_type = answer.headers.get("content-type", "application/octet-stream")
    return Response(answer.body, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.post("/my/profile/picture")
async def upload_picture(
    request: Request,
    picture: Annotated[UploadFile, File()],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
) -> Response:
    cookies.check_form(request, csrf)
    token = signed_in(who)
    data = await picture.read(PICTURE_MAX_BYTES + 1)
    try:
        if len(data) > PICTURE_MAX_BYTES:
            raise ApiError(status.HTTP_413_CONTENT_TOO_LARGE, None)
        await api.access.call(
            "PUT",
            "/me/picture",
            token=token,
            content=data,
            content_type=picture.content_type or "application/octet-stream",
        )
    except ApiError as error:
        if error.status not in (413, 415, 422):
            raise
        return pages.render(
            request,
            "profile.html",
            who,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            problem=pages.text.picture_rejected,
        )
    return see_other("/my/profile")


@router.post("/my/profile/picture/remove")
async def remove_picture(
    request: Request, csrf: Csrf, who: Who, api: Api, cookies: CookieJar
) -> Response:
    cookies.check_form(request, csrf)
    await api.access.call("DELETE", "/me/picture", token=signed_in(who))
    return see_other("/my/profile")


@router.get("/my/data")
async def my_data(request: Request, who: Who, api: Api, pages: Renderer) -> Response:
    """What is kept and why; the export under way (if any), correction and erasure."""
    token = signed_in(who)
    export = None
    export_id = request.query_params.get("export")
    if export_id:
        export = (
            await api.retention.call("GET", f"/privacy/exports/{export_id}", token=token)
        ).body
    details = await my_details(api, token)
    return pages.render(request, "my_data.html", who, export=export, details=details)


@router.post("/my/data/export")
async def request_export(
    request: Request, csrf: Csrf, who: Who, api: Api, cookies: CookieJar
) -> Response:
    cookies.check_form(request, csrf)
    answer = await api.retention.call(
        "POST", "/privacy/exports", token=signed_in(who), json={"data_subject_id": who.principal_id}
    )
    return see_other(f"/my/data?export={answer.body['export_id']}")


@router.post("/my/data/export/{export_id}/download")
async def download_export(
    export_id: str, request: Request, csrf: Csrf, who: Who, api: Api, cookies: CookieJar
) -> Response:
    """A one-time link from retention, followed at once: the file itself comes back."""
    cookies.check_form(request, csrf)
    token = signed_in(who)
    link = await api.retention.call("POST", f"/privacy/exports/{export_id}/link", token=token)
    export = await api.retention.call("GET", link.body["download_url"])
    return Response(
        json.dumps(export.body, indent=2, default=str),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/my/data/rectification")
async def rectify(
    request: Request,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    email: Annotated[str, Form(max_length=320)],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
    phone: Annotated[str, Form(max_length=40)] = "",
    company: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    cookies.check_form(request, csrf)
    details = {
        "full_name": name,
        "email": email,
        "phone": phone or None,
        "company": company or None,
    }
    await api.retention.call(
        "POST",
        "/privacy/rectifications",
        token=signed_in(who),
        json={"data_subject_id": who.principal_id, "details": details},
    )
    return pages.render(
        request, "my_data.html", who, notice=pages.text.rectify_intro, export=None, details=details
    )


@router.post("/my/data/erasure")
async def erase(
    request: Request,
    right: Annotated[str, Form(pattern="^(erasure|objection)$")],
    csrf: Csrf,
    who: Who,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    cookies.check_form(request, csrf)
    if confirm != "yes":
        return pages.render(
            request,
            "my_data.html",
            who,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            problem=pages.text.erase_confirm,
            export=None,
        )
    decision = await api.retention.call(
        "POST",
        "/privacy/erasures",
        token=signed_in(who),
        json={"data_subject_id": who.principal_id, "right": right},
    )
    return pages.render(request, "erasure.html", who, decision=decision.body)
