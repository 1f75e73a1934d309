from django.urls import path

from . import (
    bookings,
    cards,  # noqa: F401  (fills the home page's "upcoming bookings" card)
    series,
    views,
    waitlist,
)

urlpatterns = [
    path("resident/club/", views.facilities, name="resident-facilities"),
    path("resident/club/<int:pk>/", views.facility, name="resident-facility"),
    path("club/photos/<int:pk>/", views.facility_photo, name="club-photo"),
    path("resident/bookings/", bookings.bookings, name="resident-bookings"),
    path("resident/bookings/<int:pk>/", bookings.booking_detail, name="resident-booking"),
    path("resident/bookings/<int:pk>/cancel/", bookings.booking_cancel_page, name="resident-booking-cancel"),
    path("resident/bookings/<int:pk>/charge/", bookings.booking_charge, name="resident-booking-charge"),
    path("resident/series/<int:pk>/end/", series.series_end_page, name="resident-series-end"),
    path("resident/waitlist/", waitlist.waitlist_page, name="resident-waitlist"),
    path("resident/waitlist/<int:pk>/", waitlist.waitlist_entry, name="resident-waitlist-entry"),
]
