"""Formats are recognised from the bytes alone; an .xlsx only when it is a real OOXML workbook."""

from __future__ import annotations

import io
import zipfile

import pytest

from backend.uploads.formats import JPEG, PDF, PNG, WEBP, XLSX, format_detect, format_sniff

from .samples import ELF, HTML, PE, SVG, image_bytes, pdf_bytes, plain_zip, xlsx_bytes


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("JPEG"), JPEG),
        (image_bytes("PNG"), PNG),
        (image_bytes("WEBP"), WEBP),
        (pdf_bytes(), PDF),
        (xlsx_bytes(), XLSX),
    ],
    ids=["jpeg", "png", "webp", "pdf", "xlsx"],
)
def test_each_format_is_recognised_from_its_bytes(data, expected):
    assert format_detect(data) == expected


@pytest.mark.parametrize(
    "data", [HTML, SVG, ELF, PE, b"a,b\n1,2\n", plain_zip()], ids=["html", "svg", "elf", "pe", "csv", "zip"]
)
def test_what_is_none_of_ours_is_not_recognised(data):
    assert format_detect(data) is None


def test_a_workbook_whose_parts_come_late_in_the_zip_is_still_a_workbook():
    """filetype only looks at the first 8 KiB: a workbook with a large first member looks like a plain zip."""
    original = zipfile.ZipFile(io.BytesIO(xlsx_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as package:
        package.writestr("customXml/item1.xml", "<x>" + "p" * 20_000 + "</x>")
        for name in original.namelist():
            package.writestr(name, original.read(name))
    assert format_sniff(out.getvalue()) is None
    assert format_detect(out.getvalue()) == XLSX


def test_a_zip_that_says_workbook_but_has_no_workbook_part_is_not_one():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("[Content_Types].xml", "spreadsheetml")
        package.writestr("xl/readme.txt", "no workbook here")
    assert format_detect(out.getvalue()) is None
