"""Pictures re-encoded for a Bluesky post (at most 1,000,000 bytes per image blob).

Every picture goes through Pillow, even one that already fits: re-encoding drops the
EXIF block (GPS position, camera serial numbers) and other metadata of the original.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

BLOB_LIMIT = 1_000_000
MAX_SIDE = 2000
MAX_PIXELS = 60_000_000  # refuse larger pictures before decoding them (decompression bombs)
QUALITIES = (90, 75, 60, 40)
SCALE_STEP = 0.8
_ERRORS = (
    OSError,  # includes PIL.UnidentifiedImageError
    ValueError,
    SyntaxError,
    EOFError,
    IndexError,
    TypeError,
    ZeroDivisionError,
    struct.error,
    Image.DecompressionBombError,
)


@dataclass(frozen=True)
class FittedImage:
    """An encoded picture ready to upload as a blob."""

    data: bytes
    mime: str
    width: int
    height: int


def image_mime(data: bytes) -> str | None:
    """The MIME type of JPEG, PNG, GIF or WebP data, from its magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def fit_image(
    data: bytes, limit: int = BLOB_LIMIT, max_side: int = MAX_SIDE
) -> FittedImage | None:
    """Re-encode a picture so it is at most ``limit`` bytes and ``max_side`` pixels wide.

    EXIF orientation is applied first, then metadata is dropped. A picture with
    transparency stays PNG when it fits; anything else becomes JPEG (on white). Too big,
    the JPEG quality goes down, then the picture shrinks by steps of 0.8.

    Returns:
        The new picture, or None when Pillow cannot read the data (or it is too large).
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                return None
            opened.seek(0)  # a GIF or animated WebP: the first frame
            opened.load()
            image = ImageOps.exif_transpose(opened)
        alpha = _has_alpha(image)
        image = image.convert("RGBA" if alpha else "L" if image.mode == "L" else "RGB")
        image.info = {}  # EXIF, XMP, ICC profile, comments: none of it is copied
        if max(image.size) > max_side:
            image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        if alpha:
            png = _encode(image, "PNG")
            if len(png) <= limit:
                return FittedImage(png, "image/png", *image.size)
            image = _on_white(image)
        return _fit_jpeg(image, limit)
    except _ERRORS:
        return None


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        low = image.convert("RGBA").getchannel("A").getextrema()[0]
        return isinstance(low, int | float) and low < 255
    return image.mode == "P" and image.palette is not None and image.palette.mode == "RGBA"


def _on_white(image: Image.Image) -> Image.Image:
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def _encode(image: Image.Image, format_: str, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if format_ == "PNG":
        image.save(buffer, "PNG", optimize=True)
    else:
        image.save(buffer, "JPEG", quality=quality, optimize=True, progressive=True)
    return buffer.getvalue()


def _fit_jpeg(image: Image.Image, limit: int) -> FittedImage | None:
    while True:
        for quality in QUALITIES:
            data = _encode(image, "JPEG", quality)
            if len(data) <= limit:
                return FittedImage(data, "image/jpeg", *image.size)
        width, height = image.size
        if width <= 1 and height <= 1:
            return None
        size = (max(1, int(width * SCALE_STEP)), max(1, int(height * SCALE_STEP)))
        image = image.resize(size, Image.Resampling.LANCZOS)
