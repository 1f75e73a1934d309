"""Serializer fields the billing and payments APIs share: money and months.

Money crosses the API as integer fen (`amount`, `owed`, …; 1 yuan = 100 fen, never floats) with a read-only
`*_display` twin that formats the same amount as a yuan string ("¥1,234.56") for people. Rates and
percentages are decimal strings. Business rules are checked by the services; serializers only check types.
Each API module (api_fees.py, api_bills.py, …) holds the serializers of its resource."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .money import yuan

FEN_HELP = _("Integer fen (1 yuan = 100 fen).")


DISPLAY_HELP = _("The same amount as a yuan string for people, e.g. '¥1,234.56' (read-only).")


class FenField(serializers.IntegerField):
    """An amount of money in integer fen. Input amounts must be above zero unless `min_value` says otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", FEN_HELP)
        if not kwargs.get("read_only"):
            kwargs.setdefault("min_value", 1)
            kwargs.setdefault("max_value", 10**13)
            messages = {
                "min_value": _("Enter an amount above zero (in fen).")
                if kwargs["min_value"] >= 1
                else _("Enter an amount of zero or more (in fen)."),
                "invalid": _("Enter a whole number of fen (1 yuan = 100 fen)."),
            }
            kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.STR)
class YuanField(serializers.ReadOnlyField):
    """The fen amount at `source`, formatted as yuan for display."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DISPLAY_HELP)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str:
        return yuan(value)


@extend_schema_field(OpenApiTypes.STR)
class PeriodField(serializers.ReadOnlyField):
    """A month as "YYYY-MM" (the date at `source` is its first day)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _('The month, "YYYY-MM".'))
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return f"{value:%Y-%m}" if value else None
