"""Payments API routes (under /api/v1/); the views are in api.py and api_bank_collection.py."""

from __future__ import annotations

from . import api, api_bank_collection

urlpatterns = [*api.urlpatterns, *api_bank_collection.urlpatterns]
