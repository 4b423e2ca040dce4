"""Profile pictures over HTTP: validated by content, limited, stored re-encoded."""

from __future__ import annotations

import io
from uuid import uuid4

from PIL import Image, PngImagePlugin

from tests.component.access.conftest import Access, bearer


async def test_a_picture_is_checked_by_content_and_stored_without_metadata(access: Access) -> None:
    contact_id = str(uuid4())
    email = f"pic.{contact_id[:6]}@example.org"
    await access.register_contact(contact_id, email)
    token = await access.activate(email)
    headers = {**bearer(token), "Content-Type": "image/png"}

    disguised = io.BytesIO()
    Image.new("RGB", (8, 8)).save(disguised, format="GIF")
    refused = await access.http.put("/me/picture", headers=headers, content=disguised.getvalue())
    assert refused.status_code == 422
    assert refused.json()["detail"][0] == {
        "field": "picture",
        "rule": "not_png_or_jpeg",
        "message": "PNG or JPEG within the limits",
    }
    huge = await access.http.put("/me/picture", headers=headers, content=b"\x89PNG" * 600_000)
    assert huge.status_code == 422
    assert huge.json()["detail"][0]["rule"] == "too_many_bytes"

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "Ada's kitchen")
    original = io.BytesIO()
    Image.new("RGB", (32, 24), (1, 2, 3)).save(original, format="PNG", pnginfo=info)
    stored = await access.http.put("/me/picture", headers=headers, content=original.getvalue())
    assert stored.status_code == 204
    fetched = await access.http.get("/me/picture", headers=bearer(token))
    assert fetched.headers["content-type"] == "image/png"
    assert b"kitchen" not in fetched.content
    with Image.open(io.BytesIO(fetched.content)) as image:
        assert image.size == (32, 24)
    me = await access.http.get("/me", headers=bearer(token))
    assert me.json()["has_profile_picture"] is True
