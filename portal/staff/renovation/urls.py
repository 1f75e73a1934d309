from django.urls import path

from . import views

urlpatterns = [
    path("staff/renovation/", views.queue_page, name="staff-renovation-queue"),
    path("staff/renovation/permit-check/", views.permit_check, name="staff-renovation-permit-check"),
    path("staff/renovation/<int:pk>/", views.application_page, name="staff-renovation"),
    path("staff/renovation/<int:pk>/<slug:step>/", views.step, name="staff-renovation-step"),
    path("staff/renovation/documents/<int:pk>/", views.document, name="staff-renovation-document"),
    path("staff/renovation/photos/<int:pk>/", views.photo, name="staff-renovation-photo"),
]
