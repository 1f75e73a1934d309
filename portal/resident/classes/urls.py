from django.urls import path

from . import views

urlpatterns = [
    path("resident/classes/", views.open_classes, name="resident-classes"),
    path("resident/classes/<int:pk>/", views.class_page, name="resident-class"),
    path("resident/classes/mine/", views.my_enrolments, name="resident-enrolments"),
    path("resident/classes/enrolments/<int:pk>/withdraw/", views.withdraw, name="resident-enrolment-withdraw"),
]
