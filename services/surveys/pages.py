"""The plain HTML pages people see: the survey form, thanks, opt-out; no personal data shown."""

from __future__ import annotations

from html import escape

from services.surveys.responses import OptOutOutcome, ResponseOutcome
from shared.look import page


def survey_form(action: str) -> str:
    choices = "".join(
        f'<label><input type="radio" name="score" value="{n}" required> {n}</label> '
        for n in range(1, 6)
    )
    return page(
        "How did we do?",
        f'<form method="post" action="{escape(action)}">'
        "<fieldset><legend>Your score: 1 = very unhappy, 5 = very happy</legend>"
        f"<p>{choices}</p></fieldset>"
        "<p><label>Anything you want to tell us (optional)<br>"
        '<textarea name="comment" rows="5" cols="50" maxlength="5000"></textarea></label></p>'
        '<p><button type="submit">Send</button></p></form>',
    )


RESPONSE_PAGES: dict[ResponseOutcome, tuple[int, str, str]] = {
    "recorded": (200, "Thank you", "<p>Your answer was recorded.</p>"),
    "unknown": (404, "Link not found", "<p>This survey link is not valid.</p>"),
    "expired": (410, "Link expired", "<p>This survey link has expired.</p>"),
    "already_answered": (409, "Already answered", "<p>This survey was answered already.</p>"),
}


def opt_out_form(action: str) -> str:
    return page(
        "Stop satisfaction surveys",
        f'<form method="post" action="{escape(action)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        "<p>We will never send you a satisfaction survey again.</p>"
        '<p><button type="submit">Stop surveys</button></p></form>',
    )


OPT_OUT_PAGES: dict[OptOutOutcome, tuple[int, str, str]] = {
    "opted_out": (200, "You will not be asked again", "<p>Your opt-out is recorded.</p>"),
    "unknown": (404, "Link not found", "<p>This link is not valid.</p>"),
}
