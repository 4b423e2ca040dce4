"""Signed, short-lived bearer tokens that every service verifies locally (P3, P6).

access issues them at login; intake, retention and surveys verify them with the same key
ring from settings. Keys are named (`kid`): the first key signs, every listed key verifies,
so a new key can be added in front and the old one removed once its tokens have expired.
"""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import uuid4

import jwt
from fastapi import Depends, HTTPException, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from shared.wiring import wired

Role = Literal["support_staff", "colleague", "admin", "requester"]
ROLES: frozenset[str] = frozenset({"support_staff", "colleague", "admin", "requester"})
AUDIENCE = "support-platform"
ISSUER = "access"
ALGORITHM = "HS256"


class InvalidTokenError(ValueError):
    """A token that is forged, expired, for another audience, or signed with an unknown key."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: an id and a role (a requester's id is their contact id)."""

    principal_id: str
    role: Role
    token_id: str | None = None


class KeyRing:
    """Named HMAC keys: `kid:base64,kid:base64`; the first one signs."""

    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise ValueError("at least one token signing key is needed")
        for kid, key in keys.items():
            if len(key) < 32:
                raise ValueError(f"token signing key {kid!r} must be at least 32 bytes")
        self._keys = keys
        self.signing_kid = next(iter(keys))
        self.signing_key = keys[self.signing_kid]

    @classmethod
    def parse(cls, spec: str) -> KeyRing:
        keys: dict[str, bytes] = {}
        for entry in filter(None, (part.strip() for part in spec.split(","))):
            kid, _, encoded = entry.partition(":")
            if not kid or not encoded:
                raise ValueError("token signing keys are 'kid:base64' separated by commas")
            keys[kid] = base64.b64decode(encoded)
        return cls(keys)

    def key(self, kid: str) -> bytes | None:
        return self._keys.get(kid)


def issue_token(
    principal_id: str, role: Role, *, keys: KeyRing, now: datetime, lifetime: timedelta
) -> str:
    """A JWT naming the principal and role, valid for `lifetime`."""
    claims = {
        "sub": principal_id,
        "role": role,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": uuid4().hex,
    }
    return jwt.encode(
        claims, keys.signing_key, algorithm=ALGORITHM, headers={"kid": keys.signing_kid}
    )


def verify_token(token: str, *, keys: KeyRing) -> Principal:
    """The principal a token names, or InvalidTokenError saying why not (never echoing it)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidTokenError("malformed token") from None
    key = keys.key(str(header.get("kid", "")))
    if key is None or header.get("alg") != ALGORITHM:
        raise InvalidTokenError("token signed with an unknown key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("token expired") from None
    except jwt.InvalidAudienceError:
        raise InvalidTokenError("token for another audience") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("token signature or claims invalid") from None
    role = claims.get("role")
    if role not in ROLES:
        raise InvalidTokenError("token names no known role")
    return Principal(principal_id=str(claims["sub"]), role=role, token_id=claims.get("jti"))


_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Authenticator:
    """Who a bearer token names: a signed token, or the configured bootstrap staff token."""

    keys: KeyRing
    staff_token: SecretStr

    def principal(self, presented: str) -> Principal:
        if hmac.compare_digest(presented.encode(), self.staff_token.get_secret_value().encode()):
            return Principal(principal_id="bootstrap-staff", role="support_staff")
        return verify_token(presented, keys=self.keys)


async def current_principal(
    authenticator: Annotated[Authenticator, Depends(wired(Authenticator))],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A FastAPI dependency: the caller's Principal (the app wires its `Authenticator`); 401
    without a valid token."""
    if credentials is None:
        raise _unauthorized("a bearer token is required")
    try:
        return authenticator.principal(credentials.credentials)
    except InvalidTokenError as error:
        raise _unauthorized(str(error)) from None


Caller = Annotated[Principal, Depends(current_principal)]
"""A route's parameter `who: Caller` is the authenticated caller."""


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, reason, headers={"WWW-Authenticate": "Bearer"}
    )
