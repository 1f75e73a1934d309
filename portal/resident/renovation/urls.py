from django.urls import path

from . import views

urlpatterns = [
    path("resident/renovation/", views.applications, name="resident-renovations"),
    path("resident/renovation/new/", views.apply, name="resident-renovation-new"),
    path("resident/renovation/<int:pk>/", views.application, name="resident-renovation"),
    path("resident/renovation/<int:pk>/cancel/", views.cancel, name="resident-renovation-cancel"),
    path("resident/renovation/documents/<int:pk>/", views.document, name="resident-renovation-document"),
]
