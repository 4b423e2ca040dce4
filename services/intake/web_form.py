"""The web channel for people: a plain server-rendered HTML form (no JavaScript)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.formparsers import MultiPartException, MultiPartParser

from services.intake.domain import ReceivedFile
from services.intake.http import Web
from services.intake.web_intake import WebSubmission
from shared import look
from shared.http import describe_validation_errors

HONEYPOT = "website"
FIELDS = ("full_name", "email", "phone", "company", "subject", "body")
MAX_FIELDS = 20
MAX_UPLOADS = 10
UPLOAD_MAX_BYTES = 26_000_000
"""A form with files: five of 5 MB kept at most (more are listed, not kept), and the text."""

_FORM = """<p>Tell us what you need. We keep only your name, email, phone (optional) and
company (optional) with your request, as our privacy policy describes.</p>
{errors}
<form method="post" action="/form" accept-charset="utf-8" enctype="multipart/form-data">
<label>Full name <input name="full_name" required maxlength="200" autocomplete="name"></label>
<label>Email <input name="email" type="email" required maxlength="320" autocomplete="email"></label>
<label>Phone (optional) <input name="phone" type="tel" maxlength="40" autocomplete="tel"></label>
<label>Company (optional) <input name="company" maxlength="200" autocomplete="organization"></label>
<label>Subject <input name="subject" required maxlength="300"></label>
<label>Your request <textarea name="body" required rows="10" maxlength="20000"></textarea></label>
<label>Files (optional: up to 5 PDFs, images or text files, 5 MB each)
<input name="files" type="file" multiple accept="application/pdf,image/png,image/jpeg,image/gif,text/plain,text/csv"></label>
<div class="trap" aria-hidden="true"><label>Leave this empty
<input name="website" tabindex="-1" autocomplete="off"></label></div>
<p><button type="submit">Send request</button></p>
</form>"""


def page(title: str, content: str, *, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(look.page(title, content), status_code=status_code)


def form_page(
    problems: list[dict[str, str]] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """The form; problems (field, rule, message; never the values) listed above it."""
    errors = ""
    if problems:
        items = "".join(
            f"<li><strong>{escape(p['field'])}</strong>: {escape(p['message'])} "
            f"(<code>{escape(p['rule'])}</code>)</li>"
            for p in problems
        )
        errors = f'<ul class="errors" role="alert">{items}</ul>'
    return page("Contact support", _FORM.format(errors=errors), status_code=status_code)


router = APIRouter(tags=["web form"])

PAGE: dict[str, Any] = {"text/html": {"schema": {"type": "string"}}}
FORM_ANSWERS: dict[int | str, dict[str, Any]] = {
    201: {"description": "A page: received, with its reference.", "content": PAGE},
    413: {"description": "The form again: it was too large.", "content": PAGE},
    422: {
        "description": "The form again, naming each field and the rule it broke.",
        "content": PAGE,
    },
    429: {"description": "Rate limit for this client reached."},
}


@router.get("/", response_class=HTMLResponse)
async def show_form() -> HTMLResponse:
    """The support request form."""
    return form_page()


@router.post("/form", response_class=HTMLResponse, responses=FORM_ANSWERS)
async def submit_form(web: Web, request: Request) -> HTMLResponse:
    """Accept the form (urlencoded, or multipart with files); errors re-show the form."""
    web.admit(request)
    multipart = request.headers.get("content-type", "").startswith("multipart/form-data")
    raw = await _read_limited(
        request, max_bytes=UPLOAD_MAX_BYTES if multipart else web.form_max_bytes
    )
    if raw is None:
        web.metrics.rejected.labels(channel="web", reason="too_large").inc()
        problem = {"field": "<body>", "rule": "too_large", "message": "the form is too large"}
        return form_page([problem], status_code=status.HTTP_413_CONTENT_TOO_LARGE)
    try:
        pairs, files = await _parsed(request, raw) if multipart else (_pairs(raw), ())
    except MultiPartException:
        problem = {"field": "<body>", "rule": "malformed", "message": "the form is malformed"}
        return form_page([problem], status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    if len(pairs) > MAX_FIELDS:
        problem = {"field": "<body>", "rule": "too_many_fields", "message": "too many fields"}
        return form_page([problem], status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    fields = dict(pairs)
    if fields.get(HONEYPOT, "").strip():
        web.metrics.rejected.labels(channel="web", reason="honeypot").inc()
        return page("Thank you", "<p>Your request was received.</p>")
    values = {name: fields[name] for name in FIELDS if fields.get(name, "").strip()}
    try:
        submission = WebSubmission.model_validate(values)
    except ValidationError as error:
        web.metrics.rejected.labels(channel="web", reason="invalid").inc()
        return form_page(
            describe_validation_errors(error.errors()),
            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )
    stored = await web.submit(submission, files=files)
    return page(
        "Thank you",
        f"<p>Your request was received. Its reference is "
        f"<strong>{escape(stored.reference)}</strong>; we also sent it to you by mail. "
        "Reply to that mail to add to your request.</p>",
        status_code=status.HTTP_201_CREATED,
    )


def _pairs(raw: bytes) -> list[tuple[str, str]]:
    return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


async def _parsed(
    request: Request, raw: bytes
) -> tuple[list[tuple[str, str]], tuple[ReceivedFile, ...]]:
    """The fields and files of a multipart form already read (and limited) as `raw`."""

    async def body() -> AsyncGenerator[bytes, None]:
        yield raw

    parser = MultiPartParser(request.headers, body(), max_files=MAX_UPLOADS, max_fields=MAX_FIELDS)
    form = await parser.parse()
    pairs: list[tuple[str, str]] = []
    files: list[ReceivedFile] = []
    for name, value in form.multi_items():
        if isinstance(value, str):
            pairs.append((name, value))
        elif name == "files" and (value.filename or value.size):
            content = await value.read()
            media_type = (value.content_type or "application/octet-stream").split(";")[0]
            files.append(ReceivedFile(value.filename, media_type.strip().lower(), content))
    await form.close()
    return pairs, tuple(files)


async def _read_limited(request: Request, *, max_bytes: int) -> bytes | None:
    """The request body, or None once it exceeds max_bytes (not read further)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > max_bytes:
            return None
    return bytes(body)
