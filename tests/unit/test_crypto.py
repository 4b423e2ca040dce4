"""Sealing personal fields per data subject, and shredding (pure logic, in-memory key store)."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidTag

from shared.crypto import InMemoryKeyStore, KeyWrapper, UndecryptableError, seal, unseal
from shared.events.intake import ContactDetails

ADA = ContactDetails(full_name="Ada Example", email="ada@example.org")


async def test_sealed_fields_open_with_the_subjects_key_and_hide_the_plaintext() -> None:
    keys = InMemoryKeyStore()
    sealed = await seal(ADA, data_subject_id="p1", keys=keys)
    # the whole values: three letters turn up in random base64 about once in 2,000 runs
    dumped = sealed.model_dump_json()
    assert ADA.full_name not in dumped and str(ADA.email) not in dumped
    assert await unseal(sealed, ContactDetails, keys=keys) == ADA


async def test_a_shredded_subject_reads_as_erased_not_as_an_error() -> None:
    keys = InMemoryKeyStore()
    sealed = await seal(ADA, data_subject_id="p1", keys=keys)
    assert await keys.shred("p1")
    assert await unseal(sealed, ContactDetails, keys=keys) is None
    assert not await keys.shred("p1")


async def test_ciphertext_moved_to_another_subject_does_not_open() -> None:
    keys = InMemoryKeyStore()
    sealed = await seal(ADA, data_subject_id="p1", keys=keys)
    await keys.key_for("p2")
    moved = sealed.model_copy(update={"data_subject_id": "p2"})
    with pytest.raises(UndecryptableError):
        await unseal(moved, ContactDetails, keys=keys)


def test_the_key_wrapper_binds_a_wrapped_key_to_its_subject() -> None:
    wrapper = KeyWrapper(b"k" * 32)
    wrapped = wrapper.wrap(b"d" * 32, "p1")
    assert wrapper.unwrap(wrapped, "p1") == b"d" * 32
    with pytest.raises(InvalidTag):
        wrapper.unwrap(wrapped, "p2")
    with pytest.raises(ValueError, match="32 bytes"):
        KeyWrapper.from_base64(base64.b64encode(b"short").decode())
