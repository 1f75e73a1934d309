"""QR codes drawn on the server as inline SVG (segno): a page shows a booking's or a receipt's code with no
script and nothing from a CDN, and the phone's camera or a staff scanner (js/qr-scan.js) reads it back.

The value only sets which modules are dark; it never reaches the markup as text. The SVG carries a viewBox
and no size, so CSS sizes it (`.qr`). Always a full QR code, never a Micro QR: jsQR and most phone cameras
cannot read those."""

from __future__ import annotations

import functools

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

QUIET_ZONE = 4  # modules of white border the QR specification asks for around the code


@functools.lru_cache(maxsize=256)
def _svg(value: str) -> str:
    code = segno.make(value, micro=False, error="m")
    # One <path> of the dark modules, no XML declaration or namespace (HTML5 inline SVG), no width/height.
    return code.svg_inline(scale=1, border=QUIET_ZONE, svgclass=None, lineclass=None, omitsize=True, dark="#000")


def qr_svg(value: object, *, label: str = "") -> SafeString:
    """An inline <svg> QR code of `value` inside a <span class="qr" role="img">, with `label` (escaped; "QR code"
    when none) as its accessible name. An empty value gives an empty string. A value too long for a QR code
    (about 2,300 characters at this error level) raises segno's DataOverflowError: codes are short."""
    text = "" if value is None else str(value)
    if not text:
        return mark_safe("")  # noqa: S308 - empty
    return format_html(
        '<span class="qr" role="img" aria-label="{}" data-qr-code>{}</span>',
        label or _("QR code"),
        mark_safe(_svg(text)),  # noqa: S308 - segno's output: only numbers and fixed attribute names
    )
