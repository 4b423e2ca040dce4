"""Profile pictures: PNG or JPEG by content, within limits, metadata stripped; argon2id only."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from services.access.passwords import hash_password, verify_password
from services.access.pictures import PictureRejectedError, clean_picture

LIMITS = {"max_bytes": 200_000, "max_pixels": 100_000}


def _image(fmt: str, size: tuple[int, int] = (16, 16), **save: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt, **save)
    return out.getvalue()


def test_png_is_re_encoded_without_its_text_chunks() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ada Example, Oslo")
    clean, media_type = clean_picture(_image("PNG", pnginfo=info), **LIMITS)
    assert media_type == "image/png"
    assert b"Ada Example" not in clean
    with Image.open(io.BytesIO(clean)) as reopened:
        assert reopened.size == (16, 16)
        assert "Author" not in reopened.info


def test_jpeg_is_re_encoded_without_exif() -> None:
    exif = Image.Exif()
    exif[0x010E] = "taken at Ada's home"  # ImageDescription
    clean, media_type = clean_picture(_image("JPEG", exif=exif.tobytes()), **LIMITS)
    assert media_type == "image/jpeg"
    assert b"Ada's home" not in clean
    with Image.open(io.BytesIO(clean)) as reopened:
        assert not reopened.getexif()


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        (b"", "empty"),
        (_image("GIF"), "not_png_or_jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"not really a png", "not_a_valid_image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not_a_valid_image"),
        (_image("PNG", size=(400, 400)), "too_many_pixels"),
        (b"\xff" * 200_001, "too_many_bytes"),
    ],
)
def test_pictures_breaking_a_rule_are_rejected_by_name(raw: bytes, rule: str) -> None:
    with pytest.raises(PictureRejectedError) as rejected:
        clean_picture(raw, **LIMITS)
    assert rejected.value.rule == rule


def test_passwords_are_argon2id_hashes_and_verify_only_the_right_one() -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert verify_password(hashed, "correct horse battery")
    assert not verify_password(hashed, "wrong horse battery")
    assert not verify_password(None, "correct horse battery")
