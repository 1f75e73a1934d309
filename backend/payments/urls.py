"""Payments API routes (under /api/v1/); the views are in api.py."""

from __future__ import annotations

from .api import urlpatterns

__all__ = ["urlpatterns"]
