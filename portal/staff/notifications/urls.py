from django.urls import path

from . import views

urlpatterns = [
    path("staff/announcements/", views.staff_announcements, name="staff-announcements"),
    path("staff/announcements/<int:pk>/", views.staff_announcement, name="staff-announcement"),
    path("staff/holidays/", views.holidays, name="holidays"),
]
