"""Signing in and out, and the set-password link from the account mail (P3): a form for a link
that works, a clear page and a new link for one that does not."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, status
from fastapi.responses import HTMLResponse, Response

from services.portal.api import ApiError
from services.portal.web import Api, CookieJar, Renderer, Who, see_other

router = APIRouter(tags=["pages: accounts"], default_response_class=HTMLResponse)

Field = Annotated[str, Form(max_length=320)]
Secret = Annotated[str, Form(max_length=256)]


@router.get("/")
async def home(who: Who) -> Response:
    if not who.signed_in:
        return see_other("/login")
    return see_other("/staff/inbox" if who.is_staff else "/my/requests")


@router.get("/login")
async def login_page(request: Request, who: Who, pages: Renderer) -> Response:
    return pages.render(request, "login.html", who)


@router.post("/login")
async def login(
    request: Request,
    email: Field,
    password: Secret,
    csrf: Field,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
    who: Who,
) -> Response:
    cookies.check_form(request, csrf)
    try:
        answer = await api.access.call(
            "POST", "/login", json={"email": email, "password": password}
        )
    except ApiError as error:
        if error.status not in (status.HTTP_401_UNAUTHORIZED, status.HTTP_429_TOO_MANY_REQUESTS):
            raise
        throttled = error.status == status.HTTP_429_TOO_MANY_REQUESTS
        return pages.render(
            request,
            "login.html",
            who,
            status_code=error.status,
            email=email,
            problem=pages.text.sign_in_throttled if throttled else pages.text.sign_in_failed,
        )
    response = see_other("/")
    cookies.sign_in(response, answer.body["access_token"])
    return response


@router.post("/logout")
async def logout(request: Request, csrf: Field, cookies: CookieJar) -> Response:
    cookies.check_form(request, csrf)
    response = see_other("/login")
    cookies.sign_out(response)
    return response


@router.get("/accounts/set-password")
async def set_password_page(
    request: Request, who: Who, pages: Renderer, token: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The page the account mail's link opens."""
    if not token:
        return _link_expired(request, who, pages)
    return pages.render(request, "set_password.html", who, token=token)


@router.post("/accounts/set-password")
async def set_password(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    password: Secret,
    password_again: Secret,
    csrf: Field,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
    who: Who,
) -> Response:
    cookies.check_form(request, csrf)
    if password != password_again or len(password) < 12:
        problem = pages.text.passwords_differ if password != password_again else None
        return pages.render(
            request,
            "set_password.html",
            who,
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
            token=token,
            problem=problem or pages.text.password_rules,
        )
    try:
        await api.access.call(
            "POST", "/accounts/set-password", json={"token": token, "password": password}
        )
    except ApiError as error:
        if error.status != status.HTTP_422_UNPROCESSABLE_CONTENT:
            raise
        return _link_expired(request, who, pages)
    link = {"href": "/login", "text": pages.text.sign_in}
    return pages.render(request, "message.html", who, heading=pages.text.password_set, link=link)


@router.get("/forgot-password")
async def forgot_password(request: Request, who: Who, pages: Renderer) -> Response:
    return pages.render(
        request,
        "new_link.html",
        who,
        heading=pages.text.forgot_password,
        intro=pages.text.forgot_password_intro,
    )


@router.post("/accounts/new-link")
async def new_link(
    request: Request,
    email: Field,
    csrf: Field,
    api: Api,
    cookies: CookieJar,
    pages: Renderer,
    who: Who,
) -> Response:
    """Ask access to mail a new set-password link; the answer never says whether the address
    has an account."""
    cookies.check_form(request, csrf)
    await api.access.call("POST", "/accounts/set-password-links", json={"email": email})
    return pages.render(request, "message.html", who, heading=pages.text.link_sent)


def _link_expired(request: Request, who: Who, pages: Renderer) -> Response:
    return pages.render(
        request,
        "new_link.html",
        who,
        status_code=status.HTTP_410_GONE,
        heading=pages.text.link_expired_title,
        intro=pages.text.link_expired,
    )
