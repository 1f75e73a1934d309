"""Accepting an uploaded file for one use: the only way a file reaches a service or storage.

upload_accept reads the file (refusing it past the use's size limit), recognises its format from the bytes,
checks it against the use's allow-list and the format's own rules (images are re-encoded, a PDF must be
whole, an .xlsx must be a real workbook that does not inflate past a sane size), and returns an
AcceptedUpload. Services take AcceptedUpload, not an UploadedFile: they are handed content that has already
passed, and store `content_file()`, whose name (so the stored extension) comes from the detected format.
Form and serializer fields in fields.py call it, so a refusal is an error on the field the file came in."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from .errors import UploadRejected
from .formats import CSV, PDF, XLSX, FileFormat, csv_detect, format_detect
from .images import image_reencode
from .kinds import UploadKind

# Counted uncompressed: a workbook of the largest import the registry takes (100,000 rows) is well under this;
# a zip bomb of a few MiB is far over it.
XLSX_MAX_UNZIPPED_BYTES = 512 * 1024 * 1024
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True, eq=False)
class AcceptedUpload:
    """A file that passed its kind's checks, as it will be stored (images re-encoded)."""

    kind: UploadKind
    format: FileFormat
    data: bytes
    original_name: str  # for messages and the audit log only; never used to name or type the file

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def content_file(self) -> ContentFile[bytes]:
        """What a FileField is given: the upload_to function takes the extension from this name."""
        return ContentFile(self.data, name=f"{self.kind.name}{self.format.extension}")


def upload_accept(*, kind: UploadKind, upload: IO[bytes]) -> AcceptedUpload:
    """Raises UploadRejected with a message for the user when the file may not be used for `kind`."""
    data = _read_at_most(upload, kind.max_bytes)
    if not data:
        raise UploadRejected(_("The file is empty."))
    fmt = format_detect(data)
    if fmt is None and CSV in kind.formats:
        fmt = csv_detect(data)
    if fmt is None or fmt not in kind.formats:
        raise UploadRejected(_("Upload a file of one of these types: %(formats)s.") % {"formats": kind.formats_label})
    if fmt.is_image:
        data = image_reencode(data=data, fmt=fmt, max_side=kind.max_side)
    elif fmt == PDF:
        _check_pdf(data)
    elif fmt == XLSX:
        _check_workbook(data)
    return AcceptedUpload(kind=kind, format=fmt, data=data, original_name=str(getattr(upload, "name", "") or ""))


def _read_at_most(upload: IO[bytes], max_bytes: int) -> bytes:
    declared = getattr(upload, "size", None)
    too_large = UploadRejected(_("The file is larger than %(size)s.") % {"size": _megabytes(max_bytes)})
    if declared is not None and declared > max_bytes:
        raise too_large
    if hasattr(upload, "seek"):
        upload.seek(0)
    buffer = io.BytesIO()
    # Read in chunks and stop one past the limit: the declared size is the sender's word.
    while chunk := upload.read(min(_READ_CHUNK, max_bytes + 1 - buffer.tell())):
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise too_large
    return buffer.getvalue()


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB"


def _check_pdf(data: bytes) -> None:
    # Every PDF ends with an end-of-file marker; a file cut short in transfer does not (a little trailing
    # whitespace or padding after it is common, hence the window).
    if b"%%EOF" not in data[-2048:]:
        raise UploadRejected(_("The PDF is damaged or incomplete."))


def _check_workbook(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        if sum(info.file_size for info in package.infolist()) > XLSX_MAX_UNZIPPED_BYTES:
            limit = _megabytes(XLSX_MAX_UNZIPPED_BYTES)
            raise UploadRejected(_("The workbook unpacks to more than %(size)s.") % {"size": limit})
