"""The club's API routes, under /api/v1/club/ (facilities and availability, closures, bookings, training classes)."""

from __future__ import annotations

from . import api_bookings, api_classes, api_facilities, api_reports

urlpatterns = [
    *api_facilities.urlpatterns,
    *api_bookings.urlpatterns,
    *api_classes.urlpatterns,
    *api_reports.urlpatterns,
]
