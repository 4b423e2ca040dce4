"""The HTML form at GET /: it submits, explains errors by field and rule, traps bots and is
rate limited per client."""

from __future__ import annotations

from tests.support.apps import eventually
from tests.support.intake import Intake, unique_email

FORM = {"content-type": "application/x-www-form-urlencoded"}


def fields(email: str, **overrides: str) -> dict[str, str]:
    values = {
        "full_name": "Ada Example",
        "email": email,
        "phone": "",
        "company": "",
        "subject": "Quiz broken",
        "body": "The quiz does not load.",
        "website": "",
    }
    values.update(overrides)
    return values


async def test_the_form_is_plain_html_and_a_submission_gets_a_reference(intake: Intake) -> None:
    page = await intake.http.get("/")
    assert page.status_code == 200
    assert '<form method="post" action="/form"' in page.text
    assert "<script" not in page.text
    email = unique_email()

    response = await intake.http.post("/form", data=fields(email))

    assert response.status_code == 201
    [request] = await intake.requests_of(email)
    assert request["reference"] in response.text
    assert request["channel"] == "web"
    [ack] = await eventually(lambda: _mails_to(intake, email))
    assert request["reference"] in str(ack["Subject"])


async def _mails_to(intake: Intake, email: str) -> list[object]:
    return list(intake.sink.to(email))


async def test_errors_name_field_and_rule_and_do_not_echo_input(intake: Intake) -> None:
    response = await intake.http.post(
        "/form", data=fields("not-an-email-secret", full_name="", subject="x" * 301)
    )
    assert response.status_code == 422
    assert "<strong>email</strong>" in response.text
    assert "<strong>full_name</strong>" in response.text
    assert "string_too_long" in response.text
    assert "not-an-email-secret" not in response.text
    assert await intake.find("requests", {"channel": "web"}) == []


async def test_a_filled_honeypot_looks_accepted_but_stores_nothing(intake: Intake) -> None:
    response = await intake.http.post(
        "/form", data=fields(unique_email(), website="http://spam.example")
    )
    assert response.status_code == 200
    assert await intake.find("requests", {"channel": "web"}) == []
    metrics = await intake.http.get("/metrics")
    assert 'intake_requests_rejected_total{channel="web",reason="honeypot"} 1.0' in metrics.text


async def test_oversized_forms_are_refused(intake: Intake) -> None:
    response = await intake.http.post("/form", data=fields(unique_email(), body="x" * 70_000))
    assert response.status_code == 413
    assert await intake.find("requests", {"channel": "web"}) == []


async def test_a_client_over_its_rate_limit_gets_429_with_retry_after(intake: Intake) -> None:
    statuses = []
    for _ in range(7):  # burst is 5 in the test settings
        response = await intake.http.post(
            "/requests",
            json={"full_name": "A", "email": unique_email(), "subject": "s", "body": "b"},
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [202] * 5
    assert statuses[5:] == [429, 429]
    assert int(response.headers["retry-after"]) >= 1
    assert len(await intake.find("requests", {"channel": "web"})) == 5
