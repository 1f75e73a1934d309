"""The club's API routes, under /api/v1/club/ (facilities and availability, closures, bookings and their money,
the waitlist, check-in and no-shows, weekly series, training classes, reports)."""

from __future__ import annotations

from . import (
    api_booking_money,
    api_bookings,
    api_checkin,
    api_classes,
    api_desk,
    api_facilities,
    api_reports,
    api_series,
    api_waitlist,
)

urlpatterns = [
    *api_facilities.urlpatterns,
    *api_bookings.urlpatterns,
    *api_booking_money.urlpatterns,
    *api_waitlist.urlpatterns,
    *api_checkin.urlpatterns,
    *api_desk.urlpatterns,
    *api_series.urlpatterns,
    *api_classes.urlpatterns,
    *api_reports.urlpatterns,
]
