"""Pictures re-encoded for Bluesky: size limit, orientation, transparency, metadata."""

from __future__ import annotations

import io
import os

import pytest
from PIL import ExifTags, Image

from chatbot.posts.images import FittedImage, fit_image, image_mime

GPS_IFD = 0x8825


def encode(image: Image.Image, format_: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format_, **params)
    return buffer.getvalue()


def noise(width: int, height: int) -> Image.Image:
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def reopen(fitted: FittedImage) -> Image.Image:
    image = Image.open(io.BytesIO(fitted.data))
    assert image.size == (fitted.width, fitted.height)
    assert image_mime(fitted.data) == fitted.mime
    return image


def exif_with(orientation: int | None = None, gps: bool = False) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        exif[GPS_IFD] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (48.0, 51.0, 24.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (2.0, 21.0, 7.0),
        }
    return exif


def test_big_noisy_jpeg_fits() -> None:
    data = encode(noise(4000, 3000), "JPEG", quality=95)
    assert len(data) > 1_000_000
    fitted = fit_image(data)
    assert fitted is not None
    assert fitted.mime == "image/jpeg"
    assert len(fitted.data) <= 1_000_000
    assert max(fitted.width, fitted.height) <= 2000
    assert fitted.width / fitted.height == pytest.approx(4 / 3, rel=0.01)
    reopen(fitted)


def test_small_jpeg_is_still_reencoded_without_metadata() -> None:
    data = encode(noise(64, 48), "JPEG", exif=exif_with(gps=True).tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)
    fitted = fit_image(data)
    assert fitted is not None
    assert (fitted.width, fitted.height, fitted.mime) == (64, 48, "image/jpeg")
    assert b"Exif" not in fitted.data
    image = reopen(fitted)
    assert not image.getexif()
    assert not image.getexif().get_ifd(GPS_IFD)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (300, 100), "red")
    image.paste((0, 0, 255), (0, 0, 20, 100))  # a blue band on the left
    data = encode(image, "JPEG", exif=exif_with(orientation=6).tobytes())  # rotate 90° CW
    fitted = fit_image(data)
    assert fitted is not None
    assert (fitted.width, fitted.height) == (100, 300)
    pixel = reopen(fitted).convert("RGB").getpixel((50, 5))  # the band is now on top
    assert isinstance(pixel, tuple)
    assert pixel[2] > 200 and pixel[0] < 60


def test_png_with_alpha_stays_png() -> None:
    image = Image.new("RGBA", (200, 100), (255, 0, 0, 0))
    image.paste((0, 128, 0, 255), (50, 25, 150, 75))
    fitted = fit_image(encode(image, "PNG"))
    assert fitted is not None
    assert fitted.mime == "image/png"
    again = reopen(fitted)
    assert again.mode == "RGBA"
    assert again.getpixel((0, 0)) == (255, 0, 0, 0)


def test_opaque_png_becomes_jpeg() -> None:
    fitted = fit_image(encode(Image.new("RGBA", (120, 80), (10, 20, 30, 255)), "PNG"))
    assert fitted is not None
    assert fitted.mime == "image/jpeg"


def test_transparent_png_too_big_becomes_jpeg_on_white() -> None:
    image = Image.frombytes("RGBA", (600, 600), os.urandom(600 * 600 * 4))
    fitted = fit_image(encode(image, "PNG"), limit=200_000)
    assert fitted is not None
    assert fitted.mime == "image/jpeg"
    assert len(fitted.data) <= 200_000
    assert reopen(fitted).mode == "RGB"


def test_max_side() -> None:
    fitted = fit_image(encode(Image.new("RGB", (3000, 500), "white"), "PNG"), max_side=1000)
    assert fitted is not None
    assert (fitted.width, fitted.height) == (1000, 167)


def test_gif_first_frame() -> None:
    frames = [Image.new("P", (40, 30), color) for color in (1, 2, 3)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert image_mime(data) == "image/gif"
    fitted = fit_image(data)
    assert fitted is not None
    assert (fitted.width, fitted.height) == (40, 30)


def test_webp() -> None:
    data = encode(noise(50, 40), "WEBP")
    assert image_mime(data) == "image/webp"
    fitted = fit_image(data)
    assert fitted is not None
    assert fitted.mime == "image/jpeg"


@pytest.mark.parametrize(
    "data", [b"", b"garbage bytes", b"\xff\xd8\xff" + b"\x00" * 50, b"\x89PNG\r\n\x1a\n"]
)
def test_unreadable_data(data: bytes) -> None:
    assert fit_image(data) is None


def test_decompression_bomb_refused() -> None:
    # A small PNG that claims 9000 x 7000 pixels: refused before decoding.
    data = encode(Image.new("1", (9000, 7000)), "PNG")
    assert len(data) < 100_000
    assert fit_image(data) is None


def test_image_mime() -> None:
    assert image_mime(encode(Image.new("RGB", (2, 2)), "JPEG")) == "image/jpeg"
    assert image_mime(encode(Image.new("RGB", (2, 2)), "PNG")) == "image/png"
    assert image_mime(b"RIFF\x00\x00\x00\x00WAVE") is None
    assert image_mime(b"") is None
