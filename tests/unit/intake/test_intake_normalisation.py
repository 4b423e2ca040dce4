"""Contact matching keys: email (NFC, case-folded, plus-addressing) and phone (E.164)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from services.intake.domain import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    new_reference,
    normalise_email,
    normalise_phone,
    reference_in,
)

local_parts = st.text(
    alphabet=st.characters(categories=("Ll", "Lu", "Nd"), max_codepoint=0x2FF),
    min_size=1,
    max_size=20,
)
domains = st.sampled_from(["example.org", "EXAMPLE.org", "Exämple.NO", "skole.no"])


@given(local=local_parts, domain=domains)
def test_email_normalisation_is_idempotent(local: str, domain: str) -> None:
    once = normalise_email(f"{local}@{domain}")
    assert normalise_email(once) == once


@given(local=local_parts, domain=domains)
def test_case_and_unicode_form_and_whitespace_do_not_matter(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    variants = [
        address.casefold(),
        "".join(c.upper() if c.isascii() else c for c in address),
        unicodedata.normalize("NFD", address),
        f"  {address}\t",
    ]
    assert {normalise_email(v) for v in variants} == {normalise_email(address)}


@given(local=local_parts, tag=local_parts, domain=domains)
def test_plus_addressing_is_kept_distinct_unless_folded(local: str, tag: str, domain: str) -> None:
    plain, tagged = f"{local}@{domain}", f"{local}+{tag}@{domain}"
    assert normalise_email(plain) != normalise_email(tagged)
    assert normalise_email(tagged, fold_plus_addressing=True) == normalise_email(plain)


@given(subscriber=st.integers(min_value=20_000_000, max_value=99_999_999))
def test_a_norwegian_number_in_any_common_format_has_one_e164_form(subscriber: int) -> None:
    digits = str(subscriber)
    formats = [
        digits,
        f"+47 {digits[:2]} {digits[2:4]} {digits[4:6]} {digits[6:]}",
        f"0047-{digits}",
        f"(+47) {digits[:3]}.{digits[3:]}",
    ]
    assert {normalise_phone(f, default_region="NO") for f in formats} == {f"+47{digits}"}


@given(number=st.text(max_size=30))
def test_phone_normalisation_never_raises_and_is_idempotent(number: str) -> None:
    normalised = normalise_phone(number, default_region="NO")
    if normalised is not None:
        assert normalised.startswith("+")
        assert normalise_phone(normalised, default_region="GB") == normalised


def test_impossible_numbers_have_no_e164_form() -> None:
    assert normalise_phone("12", default_region="NO") is None
    assert normalise_phone("not a number", default_region="NO") is None


def test_a_reference_is_found_in_a_reply_subject() -> None:
    assert reference_in("Re: [SR-ABCD2345] Login broken") == "SR-ABCD2345"
    assert reference_in("re: about sr-abcd2345 again") == "SR-ABCD2345"
    assert reference_in("Re: Login broken") is None


def test_a_new_reference_is_quotable_and_every_character_turns_up_in_every_place() -> None:
    drawn = [new_reference() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)
    for reference in drawn:
        assert reference_in(f"Re: [{reference}] Help") == reference
    for place in range(3, 3 + REFERENCE_LENGTH):
        assert {reference[place] for reference in drawn} == set(REFERENCE_ALPHABET)


@given(number=st.sampled_from(["+47 22 12 34 56", "22123456", "+44 20 7946 0958", "0047 22123456"]))
def test_a_number_s_e164_form_is_its_own_key(number: str) -> None:
    """A caller's number is keyed once and the key passed on (`find_or_register(phone_key=)`):
    keying the E.164 form again gives the same key."""
    e164 = normalise_phone(number, default_region="NO")
    assert e164 is not None
    assert normalise_phone(e164, default_region="NO") == e164
