from django.urls import path

from . import bookings, calendar, checkin, closures, facilities, flow, series, settings, week

urlpatterns = [
    path("staff/club/", facilities.facilities, name="staff-club-facilities"),
    path("staff/club/new/", facilities.facility_new, name="staff-club-facility-new"),
    path("staff/club/<int:pk>/", facilities.facility_edit, name="staff-club-facility"),
    path("staff/club/<int:pk>/photos/", facilities.facility_photo_add, name="staff-club-photo-add"),
    path("staff/club/photos/<int:pk>/remove/", facilities.facility_photo_remove, name="staff-club-photo-remove"),
    path("staff/club/<int:pk>/closures/", closures.closures, name="staff-club-closures"),
    path("staff/club/closures/<int:pk>/lift/", closures.closure_lift, name="staff-club-closure-lift"),
    path("staff/club/<int:pk>/book/", bookings.staff_book, name="staff-club-book"),
    path("staff/club/calendar/", calendar.day_calendar, name="staff-club-calendar"),
    path("staff/club/bookings/", bookings.bookings, name="staff-club-bookings"),
    path("staff/club/bookings/<int:pk>/", bookings.booking_detail, name="staff-club-booking"),
    path("staff/club/check-in/", checkin.check_in, name="staff-club-checkin"),
    path("staff/club/<int:pk>/week/", week.week_calendar, name="staff-club-week"),
    path("staff/club/<int:pk>/waitlist/", flow.waitlist, name="staff-club-waitlist"),
    path("staff/club/no-shows/", flow.no_shows, name="staff-club-no-shows"),
    path("staff/club/series/", series.series_index, name="staff-club-series"),
    path("staff/club/<int:pk>/series/new/", series.series_new, name="staff-club-series-new"),
    path("staff/club/series/<int:pk>/", series.series_detail, name="staff-club-series-detail"),
    path("staff/club/settings/", settings.club_settings, name="staff-club-settings"),
]
