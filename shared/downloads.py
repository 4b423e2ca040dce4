"""Download grants: access decides who may read a request (P6) and audits the read; intake
keeps the files. access signs a grant naming one attachment, valid for a short while, and
intake serves the file to whoever presents it, checking the signature with the same key ring
every service verifies tokens with. Nothing else opens a file."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import jwt

from shared.tokens import ALGORITHM, ISSUER, InvalidTokenError, KeyRing

AUDIENCE = "attachment-download"
LIFETIME = timedelta(minutes=2)


def issue_download_grant(
    attachment_id: str, *, reader_id: str, keys: KeyRing, now: datetime
) -> tuple[str, datetime]:
    """A grant to download one attachment, and when it expires."""
    expires_at = now + LIFETIME
    claims = {
        "sub": attachment_id,
        "reader": reader_id,
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid4().hex,
    }
    token = jwt.encode(
        claims, keys.signing_key, algorithm=ALGORITHM, headers={"kid": keys.signing_kid}
    )
    return token, expires_at


def verify_download_grant(token: str, *, keys: KeyRing, now: datetime) -> str:
    """The attachment a grant names, or InvalidTokenError (forged, expired, another kind);
    expiry by the service's clock, the one that issued it."""
    try:
        kid = str(jwt.get_unverified_header(token).get("kid", ""))
    except jwt.PyJWTError:
        raise InvalidTokenError("malformed grant") from None
    key = keys.key(kid)
    if key is None:
        raise InvalidTokenError("grant signed with an unknown key")
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "aud", "iss"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        raise InvalidTokenError("grant invalid or expired") from None
    if int(claims["exp"]) <= now.timestamp():
        raise InvalidTokenError("grant invalid or expired")
    return str(claims["sub"])
