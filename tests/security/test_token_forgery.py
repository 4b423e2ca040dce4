"""Bearer tokens: forged, expired, wrong key, wrong audience, `alg: none` and the like are refused."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.tokens import AUDIENCE, ISSUER, InvalidTokenError, KeyRing, issue_token, verify_token

KEY = b"k" * 32
RING = KeyRing({"k1": KEY})


def _b64(document: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


def _now() -> datetime:
    """Now, when the token is made (a module-level time goes stale in a long session)."""
    return datetime.now(UTC)


def _claims(**overrides: object) -> dict[str, object]:
    now = _now()
    claims: dict[str, object] = {
        "sub": "staff-1",
        "role": "support_staff",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(
    claims: dict[str, object], *, key: bytes = KEY, kid: str = "k1", alg: str = "HS256"
) -> str:
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def hostile_tokens() -> dict[str, str]:
    """Every way of presenting a token that must not be accepted, by name."""
    good = issue_token(
        "staff-1", "support_staff", keys=RING, now=_now(), lifetime=timedelta(minutes=5)
    )
    header, payload, signature = good.split(".")
    admin_payload = _b64({**jwt.decode(good, options={"verify_signature": False}), "role": "admin"})
    return {
        "forged claims (payload swapped, old signature)": f"{header}.{admin_payload}.{signature}",
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "no signature": f"{header}.{payload}.",
        "expired": _signed(_claims(exp=int((_now() - timedelta(minutes=1)).timestamp()))),
        "wrong key, right kid": _signed(_claims(), key=b"x" * 32),
        "unknown kid": _signed(_claims(), kid="k9"),
        "no kid": jwt.encode(_claims(), KEY, algorithm="HS256"),
        "wrong audience": _signed(_claims(aud="another-platform")),
        "wrong issuer": _signed(_claims(iss="someone-else")),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{payload}.",
        "alg none, capitalised": f"{_b64({'alg': 'None', 'kid': 'k1'})}.{payload}.",
        "alg HS512 with the right key": _signed(_claims(), key=KEY * 2, alg="HS512"),
        "no expiry": _signed(_claims(exp=None)),
        "unknown role": _signed(_claims(role="root")),
        "not a JWT": "definitely-not-a-token",
        "empty": "",
        "operator injection": '{"$ne": null}',
    }


def test_a_token_access_issued_is_accepted() -> None:
    token = issue_token("staff-1", "admin", keys=RING, now=_now(), lifetime=timedelta(minutes=5))

    principal = verify_token(token, keys=RING)

    assert (principal.principal_id, principal.role) == ("staff-1", "admin")


@pytest.mark.parametrize("name", sorted(hostile_tokens()))
def test_hostile_tokens_are_refused_with_a_reason_that_does_not_echo_them(name: str) -> None:
    token = hostile_tokens()[name]

    with pytest.raises(InvalidTokenError) as refused:
        verify_token(token, keys=RING)

    assert str(refused.value)
    assert token not in str(refused.value) or token == ""
