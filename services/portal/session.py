"""Who is looking at a page, and forms that cannot be forged from another site.

The signed-in person's token (issued by access at login) lives in an HttpOnly, SameSite=Lax
cookie (Secure where served over TLS); the portal never reads it, it only passes it on. Every
form carries an anti-forgery token: an HMAC of a random per-browser seed kept in its own
SameSite=Strict cookie, checked on every POST."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from pydantic import SecretStr

SESSION_COOKIE = "portal_session"
SEED_COOKIE = "portal_form_seed"


class FormForgedError(Exception):
    """A form arrived without this browser's anti-forgery token."""


@dataclass(frozen=True)
class Visitor:
    """The person on the page: signed in (with id and role) or not."""

    token: str | None
    principal_id: str | None = None
    role: str | None = None
    has_picture: bool = False

    @property
    def signed_in(self) -> bool:
        return self.principal_id is not None

    @property
    def is_staff(self) -> bool:
        return self.role in ("support_staff", "admin", "colleague")


@dataclass(frozen=True)
class Cookies:
    """The portal's cookies and its form tokens."""

    form_secret: SecretStr
    secure: bool

    def seed(self, request: Request) -> str:
        """This browser's seed (a new one if it has none; `keep_seed` stores it)."""
        found = request.cookies.get(SEED_COOKIE)
        if found and 20 <= len(found) <= 100:
            return found
        cached: str | None = getattr(request.state, "new_seed", None)
        if cached is None:
            cached = request.state.new_seed = secrets.token_urlsafe(24)
        return cached

    def form_token(self, request: Request) -> str:
        key = self.form_secret.get_secret_value().encode()
        return hmac.new(key, self.seed(request).encode(), hashlib.sha256).hexdigest()

    def check_form(self, request: Request, submitted: str) -> None:
        if SEED_COOKIE not in request.cookies or not hmac.compare_digest(
            submitted.encode(), self.form_token(request).encode()
        ):
            raise FormForgedError

    def keep_seed(self, request: Request, response: Response) -> None:
        new_seed = getattr(request.state, "new_seed", None)
        if new_seed is not None:
            response.set_cookie(
                SEED_COOKIE, new_seed, httponly=True, samesite="strict", secure=self.secure
            )

    def sign_in(self, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE, token, httponly=True, samesite="lax", secure=self.secure
        )

    def sign_out(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=self.secure)
