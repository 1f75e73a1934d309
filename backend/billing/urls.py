"""All billing API routes, under /api/v1/ (one module per resource; the shared view base is api_base.py)."""

from __future__ import annotations

from . import (
    api_bills,
    api_deposits,
    api_dunning,
    api_fees,
    api_ledger,
    api_meters,
    api_payments,
    api_reports,
    api_runs,
    api_waivers,
)

urlpatterns = [
    *api_fees.urlpatterns,
    *api_runs.urlpatterns,
    *api_bills.urlpatterns,
    *api_ledger.urlpatterns,
    *api_payments.urlpatterns,
    *api_waivers.urlpatterns,
    *api_deposits.urlpatterns,
    *api_meters.urlpatterns,
    *api_dunning.urlpatterns,
    *api_reports.urlpatterns,
]
