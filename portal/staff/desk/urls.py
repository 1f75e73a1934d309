from django.urls import path

from . import reports, settings, views

urlpatterns = [
    path("staff/desk/", views.queue, name="staff-desk-queue"),
    path("staff/desk/board/", views.board, name="staff-desk-board"),
    path("staff/desk/new/", views.intake, name="staff-desk-intake"),
    path("staff/desk/tickets/<int:pk>/", views.ticket_page, name="staff-desk-ticket"),
    path("staff/desk/tickets/<int:pk>/<slug:step>/", views.ticket_step, name="staff-desk-step"),
    path("staff/desk/photos/<int:pk>/", views.photo, name="staff-desk-photo"),
    path("staff/desk/sla/", reports.sla_page, name="staff-desk-sla"),
    path("staff/desk/reports/", reports.reports_page, name="staff-desk-reports"),
    path("staff/desk/reports/export/", reports.reports_export, name="staff-desk-reports-export"),
    path("staff/desk/settings/", settings.desk_settings, name="staff-desk-settings"),
]
