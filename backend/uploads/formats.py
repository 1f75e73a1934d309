"""The file formats an upload may be, and how each is recognised from its bytes.

Only the bytes count: the uploaded name and the browser's declared content type are chosen by the sender and
prove nothing (an HTML page declared as image/png is still an HTML page)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import filetype

# filetype reads the signature from the first 8 KiB; serving re-sniffs the same amount of a stored file.
SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileFormat:
    label: str
    mime: str
    extension: str  # with the dot; the stored name and the download name take it, never the sender's
    pillow_format: str = ""  # set for images: they are decoded and re-encoded with Pillow

    @property
    def is_image(self) -> bool:
        return bool(self.pillow_format)


JPEG = FileFormat("JPEG", "image/jpeg", ".jpg", "JPEG")
PNG = FileFormat("PNG", "image/png", ".png", "PNG")
WEBP = FileFormat("WebP", "image/webp", ".webp", "WEBP")
PDF = FileFormat("PDF", "application/pdf", ".pdf")
XLSX = FileFormat("Excel .xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
# Text has no signature: format_detect never answers CSV; only a use that takes CSV asks csv_detect.
CSV = FileFormat("CSV", "text/csv", ".csv")

_BY_MIME = {f.mime: f for f in (JPEG, PNG, WEBP, PDF, XLSX)}
_ZIP = "application/zip"
# The content type an .xlsx package declares for its workbook part (ECMA-376 part 2).
_WORKBOOK_PART = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
_MAX_CONTENT_TYPES_BYTES = 1024 * 1024


def format_sniff(head: bytes) -> FileFormat | None:
    """What the first bytes say the file is, if it is one of ours. Serving uses this on stored files; an
    .xlsx is told from other zip files only by what filetype finds near the start (see format_detect)."""
    guess = filetype.guess(head[:SNIFF_BYTES])
    return _BY_MIME.get(guess.mime) if guess is not None else None


def format_detect(data: bytes) -> FileFormat | None:
    """What a whole uploaded file is. A zip counts as .xlsx only when it really is an OOXML workbook
    (filetype gives a plain zip when the workbook's parts come after its first 8 KiB)."""
    guess = filetype.guess(data[:SNIFF_BYTES])
    mime = guess.mime if guess is not None else None
    if mime in (XLSX.mime, _ZIP):
        return XLSX if _is_workbook(data) else None
    return _BY_MIME.get(mime or "")


def _is_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            names = set(package.namelist())
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                return False
            if package.getinfo("[Content_Types].xml").file_size > _MAX_CONTENT_TYPES_BYTES:
                return False  # a real one is a few KiB; do not inflate a bomb to look at it
            return _WORKBOOK_PART in package.read("[Content_Types].xml")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return False


def text_decode(data: bytes) -> str | None:
    """The text of a file in UTF-8 (with or without a byte-order mark) or GB18030 (what Chinese banks' and
    Excel's CSV exports use), or None when it is neither or holds control characters other than tab and
    line ends (a binary file)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
            return None
        return text
    return None


def csv_detect(data: bytes) -> FileFormat | None:
    """CSV when the bytes are text with a delimited first line and no markup (an HTML or SVG page is text too)."""
    text = text_decode(data)
    if text is None:
        return None
    first = text.lstrip().split("\n", 1)[0]
    if not first or first.startswith("<") or not ("," in first or "\t" in first):
        return None
    return CSV
