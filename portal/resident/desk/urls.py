from django.urls import path

from . import views

urlpatterns = [
    path("resident/repairs/", views.repairs, name="resident-repairs"),
    path("resident/repairs/new/", views.repair_new, name="resident-repair-new"),
    path("resident/repairs/<int:pk>/", views.repair, name="resident-repair"),
    path("resident/repairs/<int:pk>/confirm/", views.repair_confirm, name="resident-repair-confirm"),
    path("resident/repairs/<int:pk>/cancel/", views.repair_cancel, name="resident-repair-cancel"),
    path("resident/repairs/photos/<int:pk>/", views.repair_photo, name="resident-repair-photo"),
]
