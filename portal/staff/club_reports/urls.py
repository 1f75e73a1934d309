from django.urls import path

from . import views

urlpatterns = [
    path("staff/club/reports/", views.report_page, name="club-reports"),
    path("staff/club/reports/export.xlsx", views.report_export, name="club-reports-export"),
]
