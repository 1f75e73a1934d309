"""Real files for the upload tests, made here: images by Pillow, a PDF by reportlab, a workbook by openpyxl,
and the hostile ones byte by byte."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image
from reportlab.pdfgen import canvas

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.domain)"><script>alert(1)</script></svg>'
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"\x80\x00\x00\x00" + b"PE\x00\x00"
APPENDED_HTML = b"<html><script>alert('polyglot')</script></html>"


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, exif: Image.Exif | None = None) -> bytes:
    """A photo-like image (noise, so it does not compress to nothing) in the given Pillow format."""
    image = Image.merge("RGB", [Image.effect_noise(size, 40 + 20 * i) for i in range(3)])
    out = io.BytesIO()
    options: dict[str, object] = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **options)
    return out.getvalue()


def camera_exif(orientation: int = 6) -> Image.Exif:
    """EXIF as a phone writes it: an orientation, the camera, and a GPS position."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"
    exif[0x0110] = "SecretCam Model 7"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (30.0, 15.0, 0.0)
    gps[3], gps[4] = "E", (120.0, 10.0, 0.0)
    return exif


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Property certificate")
    page.save()
    return out.getvalue()


def xlsx_bytes(rows: list[list[object]] | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows or [["小区", "楼宇"], ["阳光花园", "1栋"]]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header says width × height (a decompression bomb's header)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", pixels) + _png_chunk(b"IEND", b"")


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    """A file as the browser sends it: the name and the declared type are the sender's choice."""
    return SimpleUploadedFile(name, data, content_type=content_type)
