"""Which answers of a relay to RCPT TO refuse a recipient for good (recorded, never retried),
and which only delay mail (retried later)."""

from __future__ import annotations

import pytest

from shared.mail import refused_for_good


@pytest.mark.parametrize(
    ("code", "message", "for_good"),
    [
        (550, "5.1.1 <gone@example.org>: Recipient address rejected: User unknown", True),
        (552, "5.2.2 mailbox full", True),
        (553, "mailbox name not allowed", True),
        (550, "no such user", True),
        (554, "5.7.1 <x@example.net>: Relay access denied", False),  # the relay's own policy
        (550, "5.7.1 relaying denied", False),
        (554, "transaction failed", False),
        (450, "4.2.0 mailbox busy", False),  # later, perhaps
        (451, "4.3.0 try again", False),
    ],
)
def test_only_a_refusal_about_the_recipient_is_for_good(
    code: int, message: str, for_good: bool
) -> None:
    assert refused_for_good(code, message) is for_good
