from django.urls import path

from . import views

urlpatterns = [
    path("notifications/", views.inbox, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification-open"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
    path("notifications/read-all/", views.read_all, name="notifications-read-all"),
    path("announcements/", views.announcements, name="announcements"),
    path("announcements/<int:pk>/", views.announcement_detail, name="announcement"),
    path("announcements/<int:pk>/image/", views.announcement_image, name="announcement-image"),
]
