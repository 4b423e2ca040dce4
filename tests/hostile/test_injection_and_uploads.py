"""MongoDB operators in every JSON field and path that reaches a query, and upload tricks on the
profile picture: refused with a clear 4xx, never a login, never another person's data."""

from __future__ import annotations

import io
from typing import Any
from uuid import uuid4

from PIL import Image

from tests.component.access.conftest import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    STAFF,
    Access,
    access,
    access_settings,
    bearer,
    start_access,
)
from tests.support.reliability import record

__all__ = ["access", "access_settings", "start_access"]  # fixtures shared with access's own tests

OPERATORS: list[Any] = [
    {"$ne": None},
    {"$gt": ""},
    {"$regex": ".*"},
    {"$where": "1 == 1"},
    {"$in": [ADMIN_EMAIL]},
    [ADMIN_EMAIL],
]
AS_TEXT = ['{"$ne": null}', "$where", "admin@support.example' || '1'=='1", "../../etc/passwd"]


def _clear(response: Any) -> bool:
    """A 4xx with a detail saying what was wrong."""
    return 400 <= response.status_code < 500 and bool(response.json().get("detail"))


async def test_operators_in_json_fields_and_paths_never_match_anything(access: Access) -> None:
    http = access.http
    attempts: list[tuple[str, Any]] = []
    for operator in OPERATORS:
        attempts += [
            ("login email", await http.post("/login", json={"email": operator, "password": "x"})),
            (
                "login password",
                await http.post("/login", json={"email": ADMIN_EMAIL, "password": operator}),
            ),
            (
                "set-password token",
                await http.post(
                    "/accounts/set-password", json={"token": operator, "password": "p" * 20}
                ),
            ),
            (
                "share grant ids",
                await http.post(
                    "/share-grants",
                    headers=STAFF,
                    json={"request_id": operator, "grantee_id": operator},
                ),
            ),
        ]
    for text in AS_TEXT:
        attempts += [
            ("login email text", await http.post("/login", json={"email": text, "password": "x"})),
            ("request id path", await http.get(f"/requests/{text}", headers=STAFF)),
            ("grant id path", await http.delete(f"/share-grants/{text}", headers=STAFF)),
            ("staff id path", await http.delete(f"/staff/{text}", headers=STAFF)),
            ("audit filter", await http.get("/audit", headers=STAFF, params={"request_id": text})),
        ]
    for name, value in [("requester_id[$ne]", "x"), ("status[$ne]", "x"), ("q", '{"$ne":1}')]:
        attempts.append(
            ("list filter", await http.get("/requests", headers=STAFF, params={name: value}))
        )
    admin = await http.post("/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})

    logged_in = [
        what for what, response in attempts if response.status_code == 200 and "login" in what
    ]
    unclear = [
        f"{what}: {response.status_code}"
        for what, response in attempts
        if response.status_code >= 300 and not _clear(response)
    ]
    found_something = [
        what
        for what, response in attempts
        if response.status_code == 200 and what != "list filter" and response.json()
    ]
    violations = len(logged_in) + len(unclear) + len(found_something)
    record(
        "bad_input",
        "operator injection (access)",
        tried=len(attempts),
        survived=len(attempts) - violations,
        violations=violations,
        detail="$ne/$gt/$regex/$where/$in and arrays in JSON fields; operators and ../ in paths",
    )
    assert logged_in == []
    assert unclear == []
    assert found_something == []
    assert admin.status_code == 200  # the account was not locked out by injected logins


def _png(size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, format="PNG")
    return out.getvalue()


def _huge_dimensions_png() -> bytes:
    """A tiny file claiming 60000x60000 pixels (a decompression bomb's header)."""
    raw = bytearray(_png())
    raw[16:24] = (60_000).to_bytes(4, "big") * 2
    return bytes(raw)


def uploads() -> list[tuple[str, bytes, dict[str, str]]]:
    png = _png()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    polyglot = png + b"<html><script>alert(1)</script></html>"
    jpeg_as_html = io.BytesIO()
    Image.new("RGB", (4, 4)).save(jpeg_as_html, format="JPEG")
    multipart = (
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n'
        b"Content-Type: image/png\r\n\r\n" + png + b"\r\n--x--\r\n"
    )
    return [
        ("SVG with script", svg, {"Content-Type": "image/svg+xml"}),
        ("SVG labelled PNG", svg, {"Content-Type": "image/png"}),
        ("GIF labelled PNG", _gif(), {"Content-Type": "image/png"}),
        ("huge dimensions", _huge_dimensions_png(), {"Content-Type": "image/png"}),
        ("truncated PNG", png[:40], {"Content-Type": "image/png"}),
        ("empty body", b"", {"Content-Type": "image/png"}),
        ("HTML", b"<html><body>hi</body></html>", {"Content-Type": "text/html"}),
        (
            "multipart with a ../ filename",
            multipart,
            {"Content-Type": "multipart/form-data; boundary=x"},
        ),
        ("PNG with trailing HTML (polyglot)", polyglot, {"Content-Type": "image/png"}),
        ("JPEG labelled HTML", jpeg_as_html.getvalue(), {"Content-Type": "text/html"}),
        (
            "PNG with a ../ filename header",
            png,
            {"Content-Type": "image/png", "Content-Disposition": 'inline; filename="../../x.php"'},
        ),
    ]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    return out.getvalue()


REENCODED = {
    "PNG with trailing HTML (polyglot)",
    "JPEG labelled HTML",
    "PNG with a ../ filename header",
}


async def test_upload_tricks_are_refused_or_stored_as_a_clean_re_encoded_image(
    access: Access,
) -> None:
    contact_id = str(uuid4())
    email = f"upload.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.activate(email)
    wrong: list[str] = []
    for what, body, headers in uploads():
        response = await access.http.put(
            "/me/picture", headers={**bearer(token), **headers}, content=body
        )
        if what in REENCODED:
            # the pixels are valid: stored, but re-encoded from pixels, so nothing else survives
            stored = await access.http.get("/me/picture", headers=bearer(token))
            media = stored.headers.get("content-type")
            if (
                response.status_code != 204
                or b"<html" in stored.content
                or media
                not in {
                    "image/png",
                    "image/jpeg",
                }
            ):
                wrong.append(what)
        elif response.status_code != 422 or not response.json()["detail"][0].get("rule"):
            wrong.append(f"{what}: {response.status_code}")
    record(
        "bad_input",
        "picture upload tricks",
        tried=len(uploads()),
        survived=len(uploads()) - len(wrong),
        violations=len(wrong),
        detail="SVG, polyglots, huge dimensions, wrong content types, ../ names",
    )
    assert wrong == []
