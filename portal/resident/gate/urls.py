from django.urls import path

from . import views

urlpatterns = [
    path("resident/visitors/", views.visitors, name="resident-visitors"),
    path("resident/visitors/new/", views.visitor_new, name="resident-visitor-new"),
    path("resident/visitors/<int:pk>/", views.visitor, name="resident-visitor"),
    path("resident/visitors/<int:pk>/cancel/", views.visitor_cancel, name="resident-visitor-cancel"),
    path("resident/parcels/", views.parcels, name="resident-parcels"),
    path("v/<str:token>/", views.visitor_share, name="visitor-pass-share"),
]
