from django.urls import path

from . import views

urlpatterns = [
    path("staff/billing/meters/", views.meter_list, name="billing-meters"),
    path("staff/billing/meters/<int:pk>/", views.meter_detail, name="billing-meter"),
    path("staff/billing/readings/", views.readings, name="billing-readings"),
    path("staff/billing/readings/import/", views.readings_import, name="billing-readings-import"),
    path("staff/billing/readings/import/template.xlsx", views.readings_template, name="billing-readings-template"),
]
