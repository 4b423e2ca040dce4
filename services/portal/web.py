"""What every page shares: the wired dependencies, the visitor, rendering, and the answers to a
service's refusal (sign in again, or a page that says what happened)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.portal.api import ApiError, Services
from services.portal.session import SESSION_COOKIE, Cookies, FormForgedError, Visitor
from services.portal.text import Text
from shared.look import STYLE
from shared.wiring import wired

TEMPLATES = Path(__file__).parent / "templates"


class Pages:
    """Renders a template with the visitor, the strings of the portal's language and the form
    token; keeps the browser's form seed."""

    def __init__(self, *, cookies: Cookies, text: Text) -> None:
        self._templates = Jinja2Templates(directory=TEMPLATES)
        self._cookies = cookies
        self.text = text

    def render(
        self,
        request: Request,
        template: str,
        visitor: Visitor,
        *,
        status_code: int = status.HTTP_200_OK,
        **context: Any,
    ) -> HTMLResponse:
        response = self._templates.TemplateResponse(
            request,
            template,
            {
                "t": self.text,
                "visitor": visitor,
                "csrf": self._cookies.form_token(request),
                "style": STYLE,
                **context,
            },
            status_code=status_code,
        )
        self._cookies.keep_seed(request, response)
        return response


Api = Annotated[Services, Depends(wired(Services))]
CookieJar = Annotated[Cookies, Depends(wired(Cookies))]
Renderer = Annotated[Pages, Depends(wired(Pages))]


async def current_visitor(request: Request, services: Api) -> Visitor:
    """Who is on the page: access says who the session's token names (or nobody)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return Visitor(token=None)
    try:
        me = (await services.access.call("GET", "/me", token=token)).body
    except ApiError as error:
        if error.status == status.HTTP_401_UNAUTHORIZED:
            return Visitor(token=None)
        raise
    return Visitor(
        token=token,
        principal_id=me["principal_id"],
        role=me["role"],
        has_picture=bool(me.get("has_profile_picture")),
    )


Who = Annotated[Visitor, Depends(current_visitor)]


class SignInNeededError(Exception):
    """The page is for signed-in people (or staff) only."""


def signed_in(visitor: Visitor, *, staff: bool = False) -> str:
    """The visitor's token, or off to the sign-in page."""
    if visitor.token is None or (staff and not visitor.is_staff):
        raise SignInNeededError
    return visitor.token


async def attachment_download(
    api: Services, token: str, request_id: str, attachment_id: str
) -> Response:
    """A file of a request: access grants it (checking and auditing the read), intake serves
    it; the browser gets it as a download, never rendered."""
    grant = await api.access.call(
        "POST",
        f"/requests/{request_id}/attachments/{attachment_id}/download-grant",
        token=token,
    )
    file = await api.intake.call("GET", grant.body["download_path"])
    return Response(
        file.body,
        media_type=file.headers.get("content-type", "application/octet-stream"),
        headers={
            "Content-Disposition": file.headers.get("content-disposition", "attachment"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=status.HTTP_303_SEE_OTHER)


def install_answers(app: FastAPI, pages: Pages, cookies: Cookies) -> None:
    """A service's 401 (an expired session) means sign in again; its 403, 404, 409, 410 or 422
    become a page that says so in the portal's words."""

    async def on_api_error(request: Request, error: Exception) -> Response:
        if not isinstance(error, ApiError):
            raise error
        if error.status == status.HTTP_401_UNAUTHORIZED:
            return _to_sign_in(cookies)
        return pages.render(
            request,
            "problem.html",
            Visitor(token=request.cookies.get(SESSION_COOKIE)),
            status_code=error.status if error.status < 500 else status.HTTP_502_BAD_GATEWAY,
            problem=pages.text.problem(error.status),
        )

    async def on_sign_in_needed(_request: Request, _error: Exception) -> Response:
        return _to_sign_in(cookies)

    async def on_forged(request: Request, _error: Exception) -> Response:
        return pages.render(
            request,
            "problem.html",
            Visitor(token=None),
            status_code=status.HTTP_403_FORBIDDEN,
            problem=pages.text.form_expired,
        )

    async def on_invalid_form(request: Request, _error: Exception) -> Response:
        return pages.render(
            request,
            "problem.html",
            Visitor(token=request.cookies.get(SESSION_COOKIE)),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            problem=pages.text.problem(status.HTTP_422_UNPROCESSABLE_CONTENT),
        )

    app.add_exception_handler(RequestValidationError, on_invalid_form)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(SignInNeededError, on_sign_in_needed)
    app.add_exception_handler(FormForgedError, on_forged)


def _to_sign_in(cookies: Cookies) -> Response:
    response = see_other("/login")
    cookies.sign_out(response)
    return response
