"""Passwords as argon2id hashes only, and one-time link tokens stored as SHA-256 digests."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher(type=Type.ID)
_UNKNOWN = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash; the password itself is never kept."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if the password matches; the same work is done when there is no account."""
    try:
        return _hasher.verify(password_hash or _UNKNOWN, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_link_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex digest: what is stored of link tokens and rate-limit account keys."""
    return hashlib.sha256(secret.encode()).hexdigest()
