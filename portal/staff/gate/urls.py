from django.urls import path

from . import views

urlpatterns = [
    path("staff/gate/", views.gate, name="staff-gate"),
    path("staff/gate/log/", views.gate_log, name="staff-gate-log"),
    path("staff/gate/settings/", views.gate_settings, name="staff-gate-settings"),
    path("staff/parcels/", views.parcels, name="staff-gate-parcels"),
    path("staff/parcels/new/", views.parcel_new, name="staff-gate-parcel-new"),
    path("staff/parcels/units/", views.parcel_units, name="staff-gate-parcel-units"),
    path("staff/parcels/pickup/", views.parcel_pickup, name="staff-gate-pickup"),
    path("staff/parcels/<int:pk>/return/", views.parcel_return, name="staff-gate-parcel-return"),
    path("staff/parcels/<int:pk>/signature/", views.parcel_signature, name="staff-gate-signature"),
]
