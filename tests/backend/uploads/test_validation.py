"""upload_accept: each use takes only its own formats, as recognised from the bytes, within its size limit; the
stored name's extension is the detected format's."""

from __future__ import annotations

import io
import zipfile

import pytest

from backend.uploads import validation
from backend.uploads.errors import UploadRejected
from backend.uploads.formats import JPEG, PDF, PNG, WEBP, XLSX
from backend.uploads.kinds import (
    ANNOUNCEMENT_IMAGE,
    BINDING_DOCUMENT,
    KINDS,
    MERCHANT_LICENCE,
    READINGS_IMPORT,
    REGISTRY_IMPORT,
)
from backend.uploads.validation import upload_accept

from .samples import ELF, HTML, PE, SVG, image_bytes, pdf_bytes, plain_zip, upload, xlsx_bytes


@pytest.mark.parametrize(
    ("kind", "data", "fmt"),
    [
        (BINDING_DOCUMENT, image_bytes("JPEG"), JPEG),
        (BINDING_DOCUMENT, image_bytes("PNG"), PNG),
        (BINDING_DOCUMENT, image_bytes("WEBP"), WEBP),
        (BINDING_DOCUMENT, pdf_bytes(), PDF),
        (ANNOUNCEMENT_IMAGE, image_bytes("WEBP"), WEBP),
        (MERCHANT_LICENCE, pdf_bytes(), PDF),
        (REGISTRY_IMPORT, xlsx_bytes(), XLSX),
        (READINGS_IMPORT, xlsx_bytes(), XLSX),
    ],
    ids=lambda v: getattr(v, "name", None) or getattr(v, "label", None) or "",
)
def test_each_use_accepts_its_formats(kind, data, fmt):
    accepted = upload_accept(kind=kind, upload=upload("anything.bin", data, "application/octet-stream"))
    assert accepted.format == fmt and accepted.kind == kind


@pytest.mark.parametrize(
    ("name", "data", "declared"),
    [
        ("cert.png", HTML, "image/png"),
        ("cert.png", SVG, "image/png"),
        ("cert.svg", SVG, "image/svg+xml"),
        ("photo.jpg", ELF, "image/jpeg"),
        ("photo.jpg", PE, "image/jpeg"),
    ],
    ids=["html-as-png", "svg-as-png", "svg", "elf-as-jpg", "pe-as-jpg"],
)
def test_what_is_not_an_image_or_pdf_is_refused_whatever_its_name_and_declared_type(name, data, declared):
    with pytest.raises(UploadRejected, match="JPEG, PNG, WebP, PDF"):
        upload_accept(kind=BINDING_DOCUMENT, upload=upload(name, data, declared))


def test_a_pdf_is_not_an_announcement_image():
    with pytest.raises(UploadRejected, match="JPEG, PNG, WebP"):
        upload_accept(kind=ANNOUNCEMENT_IMAGE, upload=upload("poster.png", pdf_bytes(), "image/png"))


@pytest.mark.parametrize("data", [b"unit,number\n1,101\n", plain_zip(), image_bytes("PNG")], ids=["text", "zip", "png"])
def test_only_a_real_workbook_is_an_xlsx(data):
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with pytest.raises(UploadRejected, match="xlsx"):
        upload_accept(kind=REGISTRY_IMPORT, upload=upload("units.xlsx", data, spreadsheet))


def test_a_workbook_that_inflates_past_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(validation, "XLSX_MAX_UNZIPPED_BYTES", 50_000)
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name in source.namelist():
            package.writestr(name, source.read(name))
        package.writestr("xl/media/padding.bin", b"\x00" * 100_000)  # deflates to about 100 bytes
    assert len(out.getvalue()) < 50_000
    with pytest.raises(UploadRejected, match="unpacks to more than"):
        upload_accept(kind=REGISTRY_IMPORT, upload=upload("units.xlsx", out.getvalue()))


def test_a_truncated_pdf_is_refused():
    with pytest.raises(UploadRejected, match="PDF is damaged"):
        upload_accept(kind=BINDING_DOCUMENT, upload=upload("lease.pdf", pdf_bytes()[:-200], "application/pdf"))


def test_an_empty_file_is_refused():
    with pytest.raises(UploadRejected, match="empty"):
        upload_accept(kind=BINDING_DOCUMENT, upload=upload("cert.png", b""))


def test_a_file_over_the_limit_is_refused_by_its_declared_size(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    with pytest.raises(UploadRejected, match="larger than"):
        upload_accept(kind=BINDING_DOCUMENT, upload=upload("cert.png", image_bytes("PNG", (100, 100))))


def test_a_file_over_the_limit_is_refused_by_what_is_read_when_no_size_is_declared(settings):
    settings.UPLOAD_MAX_BYTES = 1000
    stream = io.BytesIO(image_bytes("PNG", (100, 100)))  # no .size: only reading tells
    with pytest.raises(UploadRejected, match="larger than"):
        upload_accept(kind=BINDING_DOCUMENT, upload=stream)
    settings.UPLOAD_MAX_BYTES = len(stream.getvalue())
    assert upload_accept(kind=BINDING_DOCUMENT, upload=stream).format == PNG  # exactly at the limit


def test_each_use_reads_its_own_size_limit(settings):
    settings.UPLOAD_MAX_BYTES = 100
    assert upload_accept(kind=REGISTRY_IMPORT, upload=upload("units.xlsx", xlsx_bytes())).format == XLSX
    settings.UPLOAD_IMPORT_MAX_BYTES = 100
    with pytest.raises(UploadRejected, match="larger than"):
        upload_accept(kind=REGISTRY_IMPORT, upload=upload("units.xlsx", xlsx_bytes()))


def test_images_are_capped_at_their_uses_size(settings):
    from PIL import Image

    settings.UPLOAD_IMAGE_MAX_SIDE, settings.UPLOAD_DOCUMENT_MAX_SIDE = 50, 150
    photo = upload_accept(kind=ANNOUNCEMENT_IMAGE, upload=upload("p.png", image_bytes("PNG", (200, 100))))
    document = upload_accept(kind=BINDING_DOCUMENT, upload=upload("d.png", image_bytes("PNG", (200, 100))))
    assert Image.open(io.BytesIO(photo.data)).size == (50, 25)
    assert Image.open(io.BytesIO(document.data)).size == (150, 75)


@pytest.mark.parametrize(
    ("name", "data", "extension"),
    [
        ("photo.jpg", image_bytes("PNG"), ".png"),
        ("scan.html", image_bytes("JPEG"), ".jpg"),
        ("poster.gif", image_bytes("WEBP"), ".webp"),
        ("cert", pdf_bytes(), ".pdf"),
    ],
    ids=["png-named-jpg", "jpeg-named-html", "webp-named-gif", "pdf-without-extension"],
)
def test_the_stored_name_takes_the_detected_formats_extension(name, data, extension):
    accepted = upload_accept(kind=BINDING_DOCUMENT, upload=upload(name, data))
    assert accepted.content_file().name == f"binding_document{extension}"
    assert accepted.original_name == name


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_every_use_refuses_html_whatever_it_is_declared_as(kind):
    declared = kind.formats[0]
    with pytest.raises(UploadRejected):
        upload_accept(kind=kind, upload=upload(f"x{declared.extension}", HTML, declared.mime))


@pytest.mark.parametrize("name", ["facility_photo", "merchant_licence", "product_photo", "repair_photo"])
def test_the_photo_uses_of_the_modules_to_come_take_photos_and_only_the_licence_a_pdf(name):
    kind = KINDS[name]
    assert upload_accept(kind=kind, upload=upload("p.jpg", image_bytes("JPEG"))).format == JPEG
    if name == "merchant_licence":
        assert upload_accept(kind=kind, upload=upload("licence.pdf", pdf_bytes())).format == PDF
    else:
        with pytest.raises(UploadRejected):
            upload_accept(kind=kind, upload=upload("p.pdf", pdf_bytes()))
