from django.urls import path

from . import views

urlpatterns = [
    path("staff/audit/", views.audit_log, name="staff-audit"),
    path("staff/deliveries/", views.deliveries, name="deliveries"),
]
