"""Profile pictures: PNG or JPEG by content, limited in bytes and pixels, re-encoded clean."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}


class PictureRejectedError(ValueError):
    """A picture that breaks a rule; `rule` names it."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def clean_picture(raw: bytes, *, max_bytes: int, max_pixels: int) -> tuple[bytes, str]:
    """The picture re-encoded from its pixels only (no metadata), and its media type."""
    if not raw:
        raise PictureRejectedError("empty")
    if len(raw) > max_bytes:
        raise PictureRejectedError("too_many_bytes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as probe:
                image_format = probe.format or ""
                width, height = probe.size
                if image_format not in FORMATS:
                    raise PictureRejectedError("not_png_or_jpeg")
                if width * height > max_pixels:
                    raise PictureRejectedError("too_many_pixels")
                probe.verify()
            with Image.open(io.BytesIO(raw)) as image:
                image.load()
                pixels = _plain_mode(image, image_format)
    except PictureRejectedError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise PictureRejectedError("not_a_valid_image") from None
    clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
    out = io.BytesIO()
    clean.save(out, format=image_format)
    return out.getvalue(), FORMATS[image_format]


def _plain_mode(image: Image.Image, image_format: str) -> Image.Image:
    if image_format == "JPEG":
        return image if image.mode in {"RGB", "L"} else image.convert("RGB")
    return image if image.mode in {"RGB", "RGBA", "L", "LA"} else image.convert("RGBA")
