"""Signed tokens: issued by access, verified anywhere; forged, expired or foreign ones refused."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.tokens import InvalidTokenError, KeyRing, issue_token, verify_token

OLD = base64.b64encode(b"o" * 32).decode()
NEW = base64.b64encode(b"n" * 32).decode()


def _token(keys: KeyRing, *, lifetime: timedelta = timedelta(minutes=5)) -> str:
    return issue_token("p1", "requester", keys=keys, now=datetime.now(UTC), lifetime=lifetime)


def test_a_token_names_its_principal_and_role() -> None:
    keys = KeyRing.parse(f"k1:{OLD}")
    principal = verify_token(_token(keys), keys=keys)
    assert (principal.principal_id, principal.role) == ("p1", "requester")


def test_rotation_new_key_signs_old_tokens_still_verify_until_the_old_key_goes() -> None:
    before = KeyRing.parse(f"k1:{OLD}")
    during = KeyRing.parse(f"k2:{NEW},k1:{OLD}")
    after = KeyRing.parse(f"k2:{NEW}")
    old_token = _token(before)
    assert verify_token(old_token, keys=during).principal_id == "p1"
    assert jwt.get_unverified_header(_token(during))["kid"] == "k2"
    with pytest.raises(InvalidTokenError, match="unknown key"):
        verify_token(old_token, keys=after)


def test_expired_tampered_foreign_and_wrong_key_tokens_are_refused() -> None:
    keys = KeyRing.parse(f"k1:{OLD}")
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_token(_token(keys, lifetime=timedelta(seconds=-1)), keys=keys)
    header, _claims, signature = _token(keys).split(".")
    forged_claims = (
        base64.urlsafe_b64encode(
            b'{"sub":"p2","role":"support_staff","aud":"support-platform","iss":"access",'
            b'"iat":1,"exp":9999999999}'
        )
        .rstrip(b"=")
        .decode()
    )
    with pytest.raises(InvalidTokenError, match="signature"):
        verify_token(f"{header}.{forged_claims}.{signature}", keys=keys)
    foreign = jwt.encode(
        {
            "sub": "p1",
            "role": "requester",
            "aud": "elsewhere",
            "iss": "access",
            "iat": 1,
            "exp": 9999999999,
        },
        b"o" * 32,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(InvalidTokenError, match="audience"):
        verify_token(foreign, keys=keys)
    wrong_key = jwt.encode(
        {
            "sub": "p1",
            "role": "admin",
            "aud": "support-platform",
            "iss": "access",
            "iat": 1,
            "exp": 9999999999,
        },
        b"x" * 32,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    with pytest.raises(InvalidTokenError, match="signature"):
        verify_token(wrong_key, keys=keys)
    with pytest.raises(InvalidTokenError, match="malformed"):
        verify_token("not-a-token", keys=keys)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing.parse(f"k1:{base64.b64encode(b'short').decode()}")
