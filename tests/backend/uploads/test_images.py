"""Images are stored as pixels this code encoded: upright, without metadata or appended bytes, within the size
cap; damaged images and decompression bombs are refused with a message, never a server error."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from backend.uploads.errors import UploadRejected
from backend.uploads.formats import JPEG, PNG, WEBP
from backend.uploads.images import image_reencode

from .samples import APPENDED_HTML, camera_exif, image_bytes, png_claiming


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_exif_is_gone_and_its_orientation_is_applied_to_the_pixels():
    # Orientation 6: the camera was turned; the stored 200 × 100 pixels display as 100 × 200.
    source = image_bytes("JPEG", (200, 100), exif=camera_exif(orientation=6))
    assert b"SecretCam" in source and opened(source).getexif()
    stored = image_reencode(data=source, fmt=JPEG, max_side=4096)
    image = opened(stored)
    assert image.size == (100, 200)
    assert not image.getexif() and "exif" not in image.info
    assert b"SecretCam" not in stored and b"Exif" not in stored


def test_a_jpeg_comment_and_png_text_chunks_are_not_kept():
    source = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(source, "JPEG", comment=b"secret-comment")
    assert b"secret-comment" not in image_reencode(data=source.getvalue(), fmt=JPEG, max_side=100)

    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "secret-author")
    source = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(source, "PNG", pnginfo=text)
    assert b"secret-author" not in image_reencode(data=source.getvalue(), fmt=PNG, max_side=100)


@pytest.mark.parametrize("fmt", [JPEG, PNG, WEBP], ids=lambda f: f.label)
def test_the_longest_side_is_capped_keeping_the_aspect_ratio(fmt):
    stored = image_reencode(data=image_bytes(fmt.pillow_format, (400, 100)), fmt=fmt, max_side=200)
    assert opened(stored).size == (200, 50)
    assert opened(stored).format == fmt.pillow_format


def test_a_small_image_is_not_enlarged():
    assert opened(image_reencode(data=image_bytes("PNG", (30, 20)), fmt=PNG, max_side=200)).size == (30, 20)


def test_html_appended_to_a_jpeg_is_not_stored():
    polyglot = image_bytes("JPEG") + APPENDED_HTML
    stored = image_reencode(data=polyglot, fmt=JPEG, max_side=4096)
    assert b"<script" not in stored and b"<html" not in stored
    assert opened(stored).size == opened(polyglot).size


def test_transparency_survives_in_png_and_webp():
    for fmt in (PNG, WEBP):
        source = io.BytesIO()
        Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(source, fmt.pillow_format, lossless=True)
        stored = opened(image_reencode(data=source.getvalue(), fmt=fmt, max_side=100))
        assert stored.mode == "RGBA" and stored.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize("icc", [ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(), b"broken"])
def test_a_colour_profile_is_applied_to_the_pixels_and_dropped(icc):
    source = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(source, "PNG", icc_profile=icc)
    stored = opened(image_reencode(data=source.getvalue(), fmt=PNG, max_side=100))
    assert "icc_profile" not in stored.info
    assert all(abs(a - b) <= 2 for a, b in zip(stored.getpixel((0, 0)), (200, 30, 30), strict=True))


@pytest.mark.parametrize(("fmt", "cut"), [(PNG, 30), (PNG, 4000), (JPEG, 2), (JPEG, 500), (WEBP, 100)], ids=str)
def test_a_truncated_image_is_refused(fmt, cut):
    whole = image_bytes(fmt.pillow_format, (200, 150))
    with pytest.raises(UploadRejected, match="damaged or incomplete"):
        image_reencode(data=whole[:-cut], fmt=fmt, max_side=4096)


@pytest.mark.parametrize("size", [(30000, 30000), (8000, 8000)], ids=["far-over", "just-over"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(size, settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 50_000_000
    bomb = png_claiming(*size)
    assert len(bomb) < 50_000
    with pytest.raises(UploadRejected, match="too many pixels"):
        image_reencode(data=bomb, fmt=PNG, max_side=4096)


def test_the_pixel_limit_comes_from_settings(settings):
    settings.UPLOAD_IMAGE_MAX_PIXELS = 100 * 100
    with pytest.raises(UploadRejected, match="too many pixels"):
        image_reencode(data=image_bytes("PNG", (101, 100)), fmt=PNG, max_side=4096)
    assert image_reencode(data=image_bytes("PNG", (100, 100)), fmt=PNG, max_side=4096)
