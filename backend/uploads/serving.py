"""Handing an uploaded file back: the one response every view that returns a stored upload uses.

The content type is sniffed again from the stored bytes at every request rather than taken from the name or
from what was recorded when the file came in, so files stored before uploads were checked (an HTML page
named .png) are safe too: a file that is not one of its kind's formats goes out as an octet-stream download.
The browser is told not to sniff, not to render anything but images in the page, and, should it render the
file anyway, to treat it as a sandboxed document that may load nothing."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from .formats import SNIFF_BYTES, format_sniff
from .kinds import UploadKind

OCTET_STREAM = "application/octet-stream"
FILE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": FILE_CSP,
    "Cross-Origin-Resource-Policy": "same-origin",
    # Behind the views' permission checks: a shared cache must never hand it to someone else.
    "Cache-Control": "private",
}


def upload_response(file: FieldFile, *, kind: UploadKind, download_name: str) -> FileResponse:
    """`download_name` is the file's name for the user without extension (the detected format adds it)."""
    if not file:
        raise Http404
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    head = handle.read(SNIFF_BYTES)
    handle.seek(0)
    fmt = format_sniff(head)
    if fmt is None or fmt not in kind.formats:
        content_type, inline, extension = OCTET_STREAM, False, ".bin"
    else:
        content_type, inline, extension = fmt.mime, fmt.is_image, fmt.extension
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not inline, filename=f"{download_name}{extension}"
    )
    for header, value in FILE_HEADERS.items():
        response[header] = value
    return response
