"""Query-string parameters and request bodies, read the same way by every API view."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request


def validated(serializer_class: type[serializers.Serializer], request: Request, **kw: Any) -> dict[str, Any]:
    """The request body checked by `serializer_class` (a 400 with field messages when it is not valid)."""
    data = serializer_class(data=request.data, **kw)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def query_int(request: Request, name: str) -> int | None:
    """?name=12 → 12; absent or empty → None; anything else → a 400 naming the field."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise serializers.ValidationError({name: [_("Must be a whole number.")]}) from None


def query_choice(request: Request, name: str, values: list[str]) -> str | None:
    """?name=value where value is one of `values`; absent or empty → None; anything else → a 400 naming them."""
    value = request.query_params.get(name) or None
    if value is not None and value not in values:
        raise serializers.ValidationError({name: [_("One of %(values)s.") % {"values": ", ".join(values)}]})
    return value


def idempotency_key(request: Request) -> str | None:
    """The Idempotency-Key header (stripped; absent or blank → None); over 100 characters → a 400."""
    key = (request.headers.get("Idempotency-Key") or "").strip() or None
    if key is not None and len(key) > 100:
        raise serializers.ValidationError({"Idempotency-Key": [_("At most 100 characters.")]})
    return key
