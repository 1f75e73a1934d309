from django.urls import path

from . import views

urlpatterns = [
    path("staff/privacy/erasure/", views.erasure_requests, name="staff-erasure-requests"),
    path("staff/privacy/erasure/<int:pk>/process/", views.erasure_process_view, name="staff-erasure-process"),
]
