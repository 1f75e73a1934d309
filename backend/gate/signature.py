"""The signature drawn on the phone's canvas when a parcel is handed over. The page (and an API client) sends
it as a PNG data URL (`data:image/png;base64,…`); it goes through backend.uploads like any upload (type from
the bytes, re-encoded) and an empty canvas is refused."""

from __future__ import annotations

import base64
import binascii
import io

from django.utils.translation import gettext as _
from PIL import Image

from backend.errors import ApplicationError
from backend.uploads.errors import UploadRejected
from backend.uploads.kinds import PARCEL_SIGNATURE
from backend.uploads.validation import AcceptedUpload, upload_accept

PREFIX = "data:image/png;base64,"
# A drawn signature on a phone-sized canvas is a few KiB to some tens; base64 adds a third.
MAX_CHARS = 700_000


def _refuse(message: str) -> ApplicationError:
    return ApplicationError(message, code="bad_signature", fields={"signature": [message]})


def signature_from_data_url(value: str) -> AcceptedUpload:
    text = (value or "").strip()
    if not text:
        raise _refuse(_("Ask for a signature."))
    if not text.startswith(PREFIX) or len(text) > MAX_CHARS:
        raise _refuse(_("The signature must be a PNG drawn on the page."))
    try:
        data = base64.b64decode(text[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        raise _refuse(_("The signature must be a PNG drawn on the page.")) from None
    try:
        accepted = upload_accept(kind=PARCEL_SIGNATURE, upload=io.BytesIO(data))
    except UploadRejected as rejected:
        raise _refuse(rejected.message) from rejected
    if not _has_ink(accepted.data):
        raise _refuse(_("Ask for a signature."))
    return accepted


def _has_ink(data: bytes) -> bool:
    """Whether anything was drawn: a pixel clearly darker than white once laid on a white sheet."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
        sheet = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        grey = Image.alpha_composite(sheet, rgba).convert("L")
        return grey.point(lambda v: 255 if v < 200 else 0).getbbox() is not None
