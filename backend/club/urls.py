"""The club's API routes, under /api/v1/club/ (facilities and availability, closures, bookings and their money)."""

from __future__ import annotations

from . import api_booking_money, api_bookings, api_facilities

urlpatterns = [*api_facilities.urlpatterns, *api_bookings.urlpatterns, *api_booking_money.urlpatterns]
