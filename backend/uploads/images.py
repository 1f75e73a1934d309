"""Images are decoded and written again with Pillow, so what is stored is pixels this code encoded and never
the sender's bytes: EXIF (GPS position, camera serial), comments, text chunks and anything appended after
the image data (an HTML page glued to a JPEG) are gone, the EXIF orientation is applied to the pixels, and
the longest side is capped. A header that claims more pixels than UPLOAD_IMAGE_MAX_PIXELS is refused before
anything is decoded (a few KiB of PNG can claim 30000 × 30000 and take gigabytes to open)."""

from __future__ import annotations

import io
import struct
import warnings

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps

from .errors import UploadRejected
from .formats import JPEG, PNG, FileFormat

_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    JPEG.pillow_format: {"quality": 85, "optimize": True},
    PNG.pillow_format: {"compress_level": 6},
    "WEBP": {"quality": 85, "method": 4},
}
# What Pillow raises on bytes that are not a whole, well-formed image of the format.
_DAMAGED = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


def image_reencode(*, data: bytes, fmt: FileFormat, max_side: int) -> bytes:
    max_pixels = int(settings.UPLOAD_IMAGE_MAX_PIXELS)
    too_big = UploadRejected(
        _("The image has too many pixels to process (at most %(n)s million).") % {"n": f"{max_pixels / 1_000_000:g}"}
    )
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here any bomb is an error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as probe:
                if probe.width * probe.height > max_pixels:
                    raise too_big
                probe.verify()  # chunk structure and checksums (a PNG cut before its end fails here)
            if fmt == JPEG and not _jpeg_ends(data):
                raise EOFError("no end-of-image marker after the last scan")
            with Image.open(io.BytesIO(data), formats=[fmt.pillow_format]) as image:
                if image.mode in ("RGB", "L"):
                    image.draft(image.mode, (max_side, max_side))  # JPEG: decode at a reduced scale
                image.load()  # a truncated image fails here
                clean = _pixels_only(image, fmt, max_side)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise too_big from exc
        except _DAMAGED as exc:
            raise UploadRejected(_("The image is damaged or incomplete.")) from exc
    out = io.BytesIO()
    clean.save(out, format=fmt.pillow_format, **_SAVE_OPTIONS[fmt.pillow_format])
    return out.getvalue()


def _jpeg_ends(data: bytes) -> bool:
    """Whether an end-of-image marker follows the last start-of-scan. libjpeg decodes a JPEG cut just before
    its end without complaint when the last scan's bytes happen to be buffered already, so whether it notices
    depends on the picture; the marker check does not. (Inside scan data 0xFF is always stuffed, so neither
    marker can appear there by chance; bytes appended after the image, as in a polyglot, still pass.)"""
    return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") >= 0


def _pixels_only(image: Image.Image, fmt: FileFormat, max_side: int) -> Image.Image:
    upright = ImageOps.exif_transpose(image)
    upright = _in_srgb(upright)
    upright = upright.convert(_mode_for(upright, fmt))
    upright.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    # A new image made from the pixel data alone carries no info dict: no EXIF, ICC, comment or text chunk
    # can reach the encoder, whatever Pillow's plugins copy by default.
    return Image.frombytes(upright.mode, upright.size, upright.tobytes())


def _in_srgb(image: Image.Image) -> Image.Image:
    """Phones tag photos with wide-gamut (Display P3) or CMYK profiles: convert the pixels to sRGB so that
    dropping the profile keeps the colours."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        converted = ImageCms.profileToProfile(
            image,
            ImageCms.ImageCmsProfile(io.BytesIO(icc)),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken profile: keep the pixels as they are (colours may shift a little)
    return converted if converted is not None else image


def _mode_for(image: Image.Image, fmt: FileFormat) -> str:
    alpha = "A" in image.getbands() or (image.mode == "P" and "transparency" in image.info)
    if fmt == JPEG:
        return "L" if image.mode in ("1", "L") else "RGB"
    if fmt == PNG and image.mode in ("1", "L"):
        return "L"
    return "RGBA" if alpha else "RGB"
