"""Web payload validation: what the web channel accepts and what it refuses, by field and rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.intake.web_intake import WebSubmission

names = st.text(st.characters(categories=("L",)), min_size=1, max_size=200)
subjects = st.text(st.characters(categories=("L", "N", "Zs")), min_size=1, max_size=300).filter(
    str.strip
)
bodies = st.text(st.characters(exclude_categories=("C",)), min_size=1, max_size=2_000).filter(
    str.strip
)
emails = st.from_regex(r"[a-z][a-z0-9.]{0,20}@example\.(org|no)", fullmatch=True).filter(
    lambda e: ".." not in e and not e.split("@")[0].endswith(".")
)


def valid(**overrides: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "full_name": "Ada Example",
        "email": "ada@example.org",
        "subject": "Help",
        "body": "Text",
    }
    payload.update(overrides)
    return payload


@given(full_name=names.filter(str.strip), email=emails, subject=subjects, body=bodies)
def test_well_formed_submissions_are_accepted(
    full_name: str, email: str, subject: str, body: str
) -> None:
    submission = WebSubmission.model_validate(
        valid(full_name=full_name, email=email, subject=subject, body=body)
    )
    assert submission.full_name == full_name.strip()
    assert submission.body == body.strip()


@given(
    field=st.sampled_from(["full_name", "subject", "body", "company"]),
    extra=st.integers(min_value=1, max_value=500),
)
def test_every_text_field_has_a_size_limit(field: str, extra: int) -> None:
    limits = {"full_name": 200, "subject": 300, "body": 20_000, "company": 200}
    with pytest.raises(ValidationError) as refused:
        WebSubmission.model_validate(valid(**{field: "x" * (limits[field] + extra)}))
    [error] = refused.value.errors()
    assert error["loc"] == (field,)
    assert error["type"] == "string_too_long"


@given(
    blank=st.text(alphabet=" \t\n", max_size=5),
    field=st.sampled_from(["full_name", "subject", "body"]),
)
def test_required_text_cannot_be_blank(blank: str, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WebSubmission.model_validate(valid(**{field: blank}))
    assert refused.value.errors()[0]["loc"] == (field,)


@given(name=st.text(st.characters(categories=("Ll",)), min_size=1, max_size=20))
def test_fields_outside_p2_are_refused(name: str) -> None:
    if name in WebSubmission.model_fields:
        return
    with pytest.raises(ValidationError) as refused:
        WebSubmission.model_validate(valid(**{name: "anything"}))
    assert refused.value.errors()[0]["type"] == "extra_forbidden"


@given(phone=st.text(st.characters(categories=("L",)), min_size=1, max_size=10))
def test_phone_must_look_like_a_number(phone: str) -> None:
    with pytest.raises(ValidationError) as refused:
        WebSubmission.model_validate(valid(phone=phone))
    assert refused.value.errors()[0]["loc"] == ("phone",)


def test_a_malformed_email_is_refused_by_field() -> None:
    with pytest.raises(ValidationError) as refused:
        WebSubmission.model_validate(valid(email="not-an-email"))
    assert refused.value.errors()[0]["loc"] == ("email",)
