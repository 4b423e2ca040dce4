"""Crypto-shredding: personal fields in events are sealed with a per-data-subject key.

Each data subject has one AES-256-GCM data key, stored wrapped by the key-encryption key (KEK)
from settings. Deleting the data key (shredding) makes every sealed copy unreadable, in Kafka
history as everywhere else. The `KeyStore` protocol is the seam where Vault or a KMS fits.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PersonalModel = TypeVar("PersonalModel", bound=BaseModel)

ALGORITHM = "AES-256-GCM"


def keyed_hash(*, key: bytes, purpose: str, value: str) -> str:
    """A non-reversible keyed hash (HMAC-SHA256), domain-separated by purpose."""
    return hmac.new(key, f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


class UndecryptableError(ValueError):
    """A sealed value whose key exists but that does not open: tampered or corrupt."""


class HeldWrites(Protocol):
    """A transaction's writes, held to be sent together before it commits."""

    def hold_insert(self, namespace: str, document: dict[str, Any]) -> None:
        """Insert `document` into `namespace` ("database.collection") with them."""
        ...


class KeyStore(Protocol):
    """Per-data-subject data keys."""

    async def key_for(self, data_subject_id: str) -> bytes:
        """The subject's data key, created on first use."""
        ...

    async def create_key(self, data_subject_id: str) -> bytes:
        """The data key of a subject whose id was just made (one that exists is used)."""
        ...

    def batch(self, stored_with: HeldWrites | None = None) -> AbstractAsyncContextManager[None]:
        """The scope of one transaction's work: each key read once, new keys stored together
        when it ends without error: in that transaction's `stored_with` writes (committed with
        the data sealed with them), else on their own before that transaction commits."""
        ...

    async def prime(self, data_subject_ids: Iterable[str]) -> None:
        """Read ahead the keys a batch of events will use (a hint; may do nothing)."""
        ...

    async def existing_key(self, data_subject_id: str) -> bytes | None:
        """The subject's data key, or None once shredded."""
        ...

    async def shred(self, data_subject_id: str) -> bool:
        """Delete the subject's key; True if there was one."""
        ...

    async def shred_many(self, data_subject_ids: Sequence[str]) -> int:
        """Delete these subjects' keys in a few writes; how many there were."""
        ...


class SealedPersonalData(BaseModel):
    """Personal fields of one data subject, encrypted; the only form they take in events."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_subject_id: str = Field(min_length=1)
    algorithm: str = ALGORITHM
    nonce: str
    ciphertext: str


class KeyWrapper:
    """Wraps and unwraps data keys with the key-encryption key."""

    def __init__(self, key_encryption_key: bytes) -> None:
        if len(key_encryption_key) != 32:
            raise ValueError("key_encryption_key must be 32 bytes (base64 in settings)")
        self._kek = AESGCM(key_encryption_key)

    @classmethod
    def from_base64(cls, encoded: str) -> KeyWrapper:
        return cls(base64.b64decode(encoded))

    def wrap(self, data_key: bytes, data_subject_id: str) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._kek.encrypt(nonce, data_key, data_subject_id.encode())

    def unwrap(self, wrapped: bytes, data_subject_id: str) -> bytes:
        return self._kek.decrypt(wrapped[:12], wrapped[12:], data_subject_id.encode())


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


async def seal(personal: BaseModel, *, data_subject_id: str, keys: KeyStore) -> SealedPersonalData:
    """Encrypt a model of personal fields with the subject's key (subject id as associated data)."""
    key = await keys.key_for(data_subject_id)
    nonce = os.urandom(12)
    plaintext = personal.model_dump_json().encode()
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, data_subject_id.encode())
    return SealedPersonalData(
        data_subject_id=data_subject_id,
        nonce=base64.b64encode(nonce).decode(),
        ciphertext=base64.b64encode(ciphertext).decode(),
    )


async def unseal(
    sealed: SealedPersonalData, model: type[PersonalModel], *, keys: KeyStore
) -> PersonalModel | None:
    """Decrypt personal fields; None when the subject's key was shredded (the data is erased)."""
    key = await keys.existing_key(sealed.data_subject_id)
    if key is None:
        return None
    try:
        plaintext = AESGCM(key).decrypt(
            base64.b64decode(sealed.nonce),
            base64.b64decode(sealed.ciphertext),
            sealed.data_subject_id.encode(),
        )
        return model.model_validate(json.loads(plaintext))
    except (InvalidTag, ValueError, ValidationError) as error:
        raise UndecryptableError(
            f"sealed personal data does not open: {type(error).__name__}"
        ) from None


class InMemoryKeyStore:
    """A key store in a dict; for unit tests of pure logic."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    async def key_for(self, data_subject_id: str) -> bytes:
        return self.keys.setdefault(data_subject_id, new_data_key())

    async def create_key(self, data_subject_id: str) -> bytes:
        return await self.key_for(data_subject_id)

    def batch(self, stored_with: HeldWrites | None = None) -> AbstractAsyncContextManager[None]:
        return nullcontext()

    async def prime(self, data_subject_ids: Iterable[str]) -> None:
        return None

    async def existing_key(self, data_subject_id: str) -> bytes | None:
        return self.keys.get(data_subject_id)

    async def shred(self, data_subject_id: str) -> bool:
        return self.keys.pop(data_subject_id, None) is not None

    async def shred_many(self, data_subject_ids: Sequence[str]) -> int:
        return sum([await self.shred(subject) for subject in set(data_subject_ids)])
