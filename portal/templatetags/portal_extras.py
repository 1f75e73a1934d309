from __future__ import annotations

import functools
from typing import Any

from django import template

from portal.common.qr import qr_svg as draw_qr_svg

register = template.Library()


@register.filter
def get_item(mapping: dict[str, Any] | None, key: str) -> Any:
    return (mapping or {}).get(key)


@register.filter
def mask_phone(value: str | None) -> str:
    from backend.properties.masking import mask_phone as mask

    return mask(value or "")


@register.filter
def mask_id(value: str | None) -> str:
    from backend.properties.masking import mask_id_number

    return mask_id_number(value or "")


@register.filter(expects_localtime=True)
def ymd(value: Any) -> str:
    """A date (or a datetime, in the current time zone) as "2026-07-15": what `|date:"Y-m-d"` writes, without
    Django's format machinery, for tables of many rows."""
    try:
        return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    except AttributeError:
        return ""


@register.filter(expects_localtime=True)
def ym(value: Any) -> str:
    """A date as "2026-07": what `|date:"Y-m"` writes."""
    try:
        return f"{value.year:04d}-{value.month:02d}"
    except AttributeError:
        return ""


@register.filter
def yuan(fen: int | None) -> str:
    """Integer fen → '¥1,234.56'."""
    from backend.billing.money import yuan as fmt

    return fmt(fen)


@register.simple_tag
def bills_compact_rows(bills: Any) -> str:
    """The compact bills table's rows (portal/common/statements.py bills_compact_html)."""
    from portal.common.statements import bills_compact_html

    return bills_compact_html(list(bills))


@register.simple_tag(takes_context=True)
def stripe_js(context: template.Context, config: Any) -> str:
    """The <script> of this company's Stripe.js (config: a gateway StripeConfig), with its origins allowed by
    this page's Content-Security-Policy: the one way a page loads Stripe.js."""
    from django.utils.html import format_html

    from backend.security_headers import csp_extend

    request = context.get("request")
    if request is not None:
        csp_extend(request, config.csp_sources)
    return format_html('<script src="{}"></script>', config.js_url)


@register.simple_tag(takes_context=True)
def nav_links(context: template.Context, navigation: Any) -> str:
    """The navigation's sections and links (portal/context_processors.py builds and keeps them per roles and
    language), the link to this page marked aria-current."""
    request = context.get("request")
    return navigation.html(request.path if request is not None else "")  # type: ignore[no-any-return]


@register.simple_tag
def qr_svg(value: Any, label: str = "") -> str:
    """{% qr_svg booking.code %} or {% qr_svg code label=_("Check-in code") %}: the value as an inline SVG QR
    code drawn on the server (portal/common/qr.py), no script needed to show it."""
    return draw_qr_svg(value, label=str(label))


@register.simple_tag
def icon(name: str) -> str:
    """The SVG icon `name` (portal/common/_icon.html), rendered once per name and process: a nav of twenty items
    no longer evaluates that template's if-chain twenty times per page."""
    return _icon_svg(str(name))


@functools.lru_cache(maxsize=64)
def _icon_svg(name: str) -> str:
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    return mark_safe(render_to_string("portal/common/_icon.html", {"name": name}))  # noqa: S308 - our own template
