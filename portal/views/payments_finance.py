"""Payments pages (see backend/payments)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []
