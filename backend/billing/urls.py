"""All billing API routes, under /api/v1/ (each area keeps its own module)."""

from __future__ import annotations

from . import api_dunning, api_fees, api_meters, api_reports

urlpatterns = [*api_fees.urlpatterns, *api_meters.urlpatterns, *api_dunning.urlpatterns, *api_reports.urlpatterns]
