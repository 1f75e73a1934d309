"""Query-string parameters shared by the API views."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.request import Request


def query_int(request: Request, name: str) -> int | None:
    """?name=12 → 12; absent or empty → None; anything else → a 400 naming the field."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise serializers.ValidationError({name: [_("Must be a whole number.")]}) from None
