"""Download grants (shared/downloads.py): one file, for a short while by the clock of the
services that issue and check them, and only with a key of the ring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.downloads import LIFETIME, issue_download_grant, verify_download_grant
from shared.tokens import InvalidTokenError, KeyRing

RING = KeyRing({"k1": b"a-test-signing-key-of-32-bytes!!"})
THEN = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)  # the services' clock, not the wall clock


def test_a_grant_names_its_file_until_it_expires_by_the_services_clock() -> None:
    grant, expires_at = issue_download_grant("file-1", reader_id="staff-1", keys=RING, now=THEN)
    assert expires_at == THEN + LIFETIME
    assert verify_download_grant(grant, keys=RING, now=THEN + timedelta(seconds=119)) == "file-1"
    with pytest.raises(InvalidTokenError):
        verify_download_grant(grant, keys=RING, now=expires_at)


def test_a_grant_signed_with_a_key_outside_the_ring_is_refused() -> None:
    rogue = KeyRing({"k1": b"another-key-that-is-32-bytes-ok!"})
    grant, _ = issue_download_grant("file-1", reader_id="staff-1", keys=rogue, now=THEN)
    with pytest.raises(InvalidTokenError):
        verify_download_grant(grant, keys=RING, now=THEN)
